/**
 * Text that someone outside the gate typed (connection tags, rule ids and tag values in
 * rules, item ids, reasons, actors, EC2 error messages), made safe for the medium it is
 * shown in. A consumer controls its endpoint's tags and an operator's table edit reaches
 * every notice, so neither may add a line, a link, a mention or markup to what the
 * operators read.
 *
 * Chat (Chatbot `client-markdown`, rendered into Slack mrkdwn or Teams markdown): Slack
 * reads `<…>` as a control sequence (`<!channel>`, `<@U123>`, `<http://x|y>`) and asks
 * senders to escape `&`, `<` and `>` as entities, so they always are; markdown specials
 * are backslash-escaped in running text; inside a code span (where backslashes are
 * literal) a backtick, which would end the span, becomes a look-alike. `@` gets a
 * zero-width space after it so `@here` / `@channel` never notify, and `://` one inside it
 * so a URL is shown, never turned into a link. Whatever is not rendered as intended is at
 * worst ugly, never active.
 *
 * Plain text (e-mail, log lines, terminals): a line break, any other control character
 * (ESC for terminal sequences) and the bidirectional overrides that reorder what a reader
 * sees are written as visible escapes (`\n`, `\u001b`), so a value is always one line.
 */

const ZERO_WIDTH_SPACE = '\u200b';
/** C0 and C1 controls, DEL, line and paragraph separators, bidi embeddings/overrides/isolates and marks. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
/** Markdown that would start emphasis, code, strike-through, a link or a table cell in running text. */
const MARKDOWN_SPECIAL = /[\\*_`~[\]()|#]/g;

/** One line of plain text: every control or reordering character as a visible escape. */
export function plainLine(value: string): string {
  return value
    .replaceAll('\\', '\\\\')
    .replace(UNPRINTABLE, (char) => NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Running text in a Chatbot markdown field. */
export function chatText(value: string): string {
  return inert(entities(oneChatLine(value).replace(MARKDOWN_SPECIAL, (char) => `\\${char}`)));
}

/** Text between backticks in a Chatbot markdown field (a backtick would end the span). */
export function chatCode(value: string): string {
  return inert(entities(oneChatLine(value).replaceAll('`', 'ˋ')));
}

/** Line breaks and controls as visible escapes, without doubling backslashes (chatText escapes them itself). */
function oneChatLine(value: string): string {
  return value.replace(
    UNPRINTABLE,
    (char) => NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function entities(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** No mention (`@here`, `@channel`, `@user`) and no autolinked URL scheme. */
function inert(value: string): string {
  return value.replaceAll('@', `@${ZERO_WIDTH_SPACE}`).replaceAll('://', `:${ZERO_WIDTH_SPACE}//`);
}
