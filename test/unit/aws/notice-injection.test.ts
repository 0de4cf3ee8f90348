/**
 * Whatever a consumer (connection tags, which reach the reasons) or an operator (rule
 * ids, tag values in rules, item ids, reasons, actors) typed cannot add a line, a link, a
 * mention or markup to a notice, in any of its media.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chatbotNotification, formatNoticeMessage } from '../../../functions/aws/notice-message.ts';
import type { LedgerEntry, Notice } from '../../../functions/gate/ports.ts';

const entry = (overrides: Partial<LedgerEntry> = {}): LedgerEntry => ({
  at: '2026-03-01T10:00:00.000Z',
  endpointId: 'vpce-0123456789abcdef0',
  serviceId: 'vpce-svc-0123456789abcdef0',
  account: '111122223333',
  trigger: 'notification',
  decision: 'review',
  rule: 'needs-review',
  matched: ['needs-review'],
  reasons: ['tag env=prod matched'],
  action: 'none',
  outcome: 'held',
  dryRun: false,
  rulesVersion: 3,
  state: 'pendingAcceptance',
  ...overrides,
});

const ATTACKS = [
  '<!channel> urgent',
  '<!here>',
  '@here please approve',
  '<@U0123ABC>',
  '*Decision* accept',
  '_ignore_ `plgate approve x` ~gone~',
  '> Approved by security',
  '[approve here](https://evil.example/phish)',
  '<https://evil.example|Approve>',
  'fine\n*Decision* accept by rule `everyone`',
  'fine\r\nOutcome:       accepted',
  'fine\u2028Rule: everyone',
  '\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\',
];

/** Slack control sequences, live mentions, autolinked schemes, and markup typed by someone. */
function expectInertChat(text: string, attack: string): void {
  expect(text).not.toMatch(/[<>]/);
  expect(text).not.toMatch(/@(?!\u200b)/);
  expect(text).not.toContain('://');
  // Inside a code span markup is shown as typed; outside one it must be escaped.
  expect(text.replace(/`[^`\n]*`/g, '')).not.toContain(attack);
}

describe('a hostile value in a decision notice', () => {
  it.each(ATTACKS)('stays one inert value in Slack: %j', (attack) => {
    const benign = chatbotNotification({ kind: 'decision', entry: entry() });
    const hostile = chatbotNotification({
      kind: 'decision',
      entry: entry({
        rule: attack,
        matched: [attack],
        reasons: [`tag env=${attack} matched`],
        actor: attack,
        reason: attack,
        error: { code: attack, message: attack },
      }),
    });
    const withExtras = chatbotNotification({
      kind: 'decision',
      entry: entry({ actor: 'a', reason: 'r', error: { code: 'c', message: 'm' } }),
    });
    const { description, title, nextSteps } = hostile.content;
    // The same lines as a benign notice with the same fields: nothing typed adds one.
    expect(description.split('\n')).toHaveLength(withExtras.content.description.split('\n').length);
    expect(title).toBe(benign.content.title);
    expect(nextSteps).toEqual(benign.content.nextSteps);
    for (const text of [description, hostile.metadata.summary, ...hostile.content.keywords])
      expectInertChat(text, attack);
    // Every code span the notice opens is closed on its own line.
    for (const line of description.split('\n')) expect((line.match(/`/g) ?? []).length % 2).toBe(0);
  });

  it.each(ATTACKS)('stays on its own line in e-mail: %j', (attack) => {
    const hostile = formatNoticeMessage({
      kind: 'decision',
      entry: entry({ rule: attack, matched: [attack], reasons: [attack], actor: attack, reason: attack }),
    }).email;
    const benign = formatNoticeMessage({
      kind: 'decision',
      entry: entry({ rule: 'r', matched: ['r'], reasons: ['r'], actor: 'a', reason: 'r' }),
    }).email;
    expect(hostile.split('\n')).toHaveLength(benign.split('\n').length);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    expect(hostile).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
  });

  it('never gains a line or a live sequence, whatever is typed (property)', () => {
    const typed = fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.constantFrom(...ATTACKS));
    fc.assert(
      fc.property(typed, typed, fc.array(typed, { maxLength: 4 }), (rule, actor, reasons) => {
        const notice: Notice = {
          kind: 'decision',
          entry: entry({ rule, matched: [rule], reasons, actor }),
        };
        const reference = entry({ rule: 'r', matched: ['r'], reasons: reasons.map(() => 'r'), actor: 'a' });
        const chat = chatbotNotification(notice);
        const lines = chatbotNotification({ kind: 'decision', entry: reference }).content.description;
        expect(chat.content.description.split('\n')).toHaveLength(lines.split('\n').length);
        expect(chat.content.description).not.toMatch(/[<>]|@(?!\u200b)|:\/\//);
        const email = formatNoticeMessage(notice).email;
        expect(email.split('\n')).toHaveLength(
          formatNoticeMessage({ kind: 'decision', entry: reference }).email.split('\n').length,
        );
      }),
      { numRuns: 150 },
    );
  });
});

describe('a hostile rule item in an invalid-rule notice', () => {
  it.each(ATTACKS)('keeps the item id and the value it names inert: %j', (attack) => {
    const notice: Notice = {
      kind: 'invalid-rule',
      at: '2026-03-01T10:00:00.000Z',
      item: { kind: 'rule', id: attack },
      problems: [
        { path: `match.tags.${attack}`, message: `must be a string, got ${JSON.stringify(attack)}` },
      ],
    };
    const chat = chatbotNotification(notice);
    for (const text of [chat.content.title, chat.content.description, chat.metadata.summary])
      expectInertChat(text, attack);
    expect(chat.content.description.split('\n')).toHaveLength(4);
    const email = formatNoticeMessage(notice).email;
    expect(email.split('\n')).toHaveLength(9);
  });
});
