import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chatCode, chatText, plainLine } from '../../../functions/aws/untrusted-text.ts';

/** What Slack would read as a control sequence, a mention, a link or a new line. */
const ACTIVE = {
  angle: /[<>]/,
  mention: /@(?!\u200b)/,
  scheme: /:\/\//,
  line: /[\r\n\u2028\u2029\u0085]/,
};
/** A markdown special not preceded by a backslash (counting runs of backslashes). */
const UNESCAPED_SPECIAL = /(?<!\\)(?:\\\\)*[*_`~[\]()|]/;

const HOSTILE = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '@here',
  '@channel',
  '<@U123ABC>',
  '<#C123|general>',
  '*bold*',
  '_italic_',
  '`code`',
  '```block```',
  '~strike~',
  '> quoted',
  '[click me](https://evil.example/phish)',
  '<https://evil.example|click me>',
  'https://evil.example/x',
  'ok\nAccepted: vpce-0123456789abcdef0 by rule everyone',
  'ok\r\n*Decision* accept',
  'ok\u2028line',
  'ansi \u001b[31mred\u001b[0m',
  'bidi \u202egnp.exe',
  '&lt;!channel&gt;',
  '\\*not bold\\*',
];

const unicodeString = fc.string({ unit: 'binary', maxLength: 80 });
const hostileString = fc.oneof(
  unicodeString,
  fc
    .array(
      fc.constantFrom(
        '<',
        '>',
        '&',
        '@',
        '*',
        '_',
        '`',
        '~',
        '[',
        ']',
        '(',
        ')',
        '|',
        '\\',
        '\n',
        '://',
        'here',
        '!channel',
        'x',
        ' ',
      ),
      { maxLength: 40 },
    )
    .map((parts) => parts.join('')),
);

describe('chat text (Chatbot client-markdown, running text)', () => {
  it.each(HOSTILE)('makes %j inert', (value) => {
    const safe = chatText(value);
    for (const [what, pattern] of Object.entries(ACTIVE)) expect(safe, what).not.toMatch(pattern);
    expect(safe).not.toMatch(UNESCAPED_SPECIAL);
  });

  it('leaves ordinary ids and words as they are', () => {
    expect(chatText('vpce-0123456789abcdef0')).toBe('vpce-0123456789abcdef0');
    expect(chatText('account 111122223333 is listed in rule acme-prod')).toBe(
      'account 111122223333 is listed in rule acme-prod',
    );
  });

  it('escapes entities once, so &lt; typed by someone stays visible as text', () => {
    expect(chatText('&lt;!here&gt;')).toBe('&amp;lt;!here&amp;gt;');
    expect(chatText('<!channel>')).toBe('&lt;!channel&gt;');
    expect(chatText('[x](http://e)')).toBe('\\[x\\]\\(http:\u200b//e\\)');
  });

  it('is inert for any input (property)', () => {
    fc.assert(
      fc.property(hostileString, (value) => {
        const safe = chatText(value);
        for (const pattern of Object.values(ACTIVE)) expect(safe).not.toMatch(pattern);
        expect(safe).not.toMatch(UNESCAPED_SPECIAL);
      }),
      { numRuns: 300 },
    );
  });
});

describe('chat code (between backticks)', () => {
  it.each(HOSTILE)('keeps %j inside its code span', (value) => {
    const safe = chatCode(value);
    expect(safe).not.toContain('`');
    for (const [what, pattern] of Object.entries(ACTIVE)) expect(safe, what).not.toMatch(pattern);
  });

  it('is inert for any input (property)', () => {
    fc.assert(
      fc.property(hostileString, (value) => {
        const safe = chatCode(value);
        expect(safe).not.toContain('`');
        for (const pattern of Object.values(ACTIVE)) expect(safe).not.toMatch(pattern);
      }),
      { numRuns: 300 },
    );
  });
});

describe('plain lines (e-mail, logs, terminals)', () => {
  it('writes line breaks, ESC and bidi overrides as visible escapes', () => {
    expect(plainLine('ok\nFAKE: accepted')).toBe('ok\\nFAKE: accepted');
    expect(plainLine('a\r\nb')).toBe('a\\r\\nb');
    expect(plainLine('\u001b[31mred')).toBe('\\u001b[31mred');
    expect(plainLine('x\u202ey')).toBe('x\\u202ey');
    expect(plainLine('C:\\path')).toBe('C:\\\\path');
  });

  it('is one printable line, and different values stay different (property)', () => {
    fc.assert(
      fc.property(hostileString, hostileString, (a, b) => {
        const line = plainLine(a);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
        expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
        if (a !== b) expect(plainLine(b)).not.toBe(line);
      }),
      { numRuns: 300 },
    );
  });
});
