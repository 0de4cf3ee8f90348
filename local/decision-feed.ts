/**
 * Every notice the gate publishes on its decisions topic, shown in `plgate local`'s terminal
 * as it happens, rendered the way the Slack notice reads: a person trying rules sees each
 * decision without opening another tool.
 */
import { chatbotNotification } from '../functions/aws/notice-message.ts';
import type { LedgerEntry, Notice } from '../functions/gate/ports.ts';
import { colors } from '../terminal/colors.ts';
import { OUTCOME_STYLE } from '../terminal/outcome-style.ts';
import type { LocalCloud } from './cloud.ts';
import type { CapturedSnsMessage } from './sns/topics.ts';

/** Reads a captured decisions-topic message back into the notice it carries. */
export function noticeOf(message: CapturedSnsMessage): Notice | undefined {
  try {
    const body: unknown = JSON.parse(message.message);
    if (body === null || typeof body !== 'object' || !('sqs' in body) || typeof body.sqs !== 'string')
      return undefined;
    const record: unknown = JSON.parse(body.sqs);
    if (record === null || typeof record !== 'object') return undefined;
    if ('kind' in record && (record.kind === 'invalid-rule' || record.kind === 'member-health'))
      return record as Notice;
    if ('outcome' in record && 'endpointId' in record)
      return { kind: 'decision', entry: record as LedgerEntry };
    return undefined;
  } catch {
    return undefined;
  }
}

/** The Chatbot notice as a terminal card: what the Slack channel would show. */
export function renderNotice(notice: Notice): string[] {
  const chat = chatbotNotification(notice);
  const c = colors();
  const style =
    notice.kind === 'decision'
      ? OUTCOME_STYLE[notice.entry.outcome]
      : notice.kind === 'member-health' && notice.healthy
        ? c.green
        : c.red;
  const lines = [
    `${c.dim('┌')} ${style(c.bold(stripEmoji(chat.content.title)))}`,
    ...chat.content.description
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => `${c.dim('│')} ${stripMarkdown(line)}`),
  ];
  for (const step of chat.content.nextSteps)
    lines.push(`${c.dim('│')} ${c.cyan('→')} ${stripMarkdown(step)}`);
  lines.push(c.dim(`└ thread ${chat.metadata.threadId}`));
  return lines;
}

const stripEmoji = (text: string): string => text.replace(/:[a-z_]+:\s*/g, '');
/** Markup off, escapes undone: a terminal shows what Slack would render (controls stay escaped). */
const stripMarkdown = (text: string): string =>
  text
    .replace(/(?<!\\)(?:\*\*?|`)/g, '')
    .replace(/\\([\\*_`~[\]()|#])/g, '$1')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

/** Prints each notice published on the topic from now on; returns the function that stops it. */
export function showDecisions(
  cloud: LocalCloud,
  topicArn: string,
  print: (line: string) => void,
): () => void {
  return cloud.sns.onPublish((message) => {
    if (message.topicArn !== topicArn) return;
    const notice = noticeOf(message);
    if (!notice) return;
    for (const line of renderNotice(notice)) print(line);
  });
}
