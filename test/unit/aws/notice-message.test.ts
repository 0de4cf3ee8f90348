import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHATBOT_LIMITS,
  chatbotNotification,
  formatNoticeMessage,
  noticeAttributes,
  noticeSubject,
} from '../../../functions/aws/notice-message.ts';
import { type LedgerEntry, type Notice, OUTCOMES } from '../../../functions/gate/ports.ts';

const entry = (overrides: Partial<LedgerEntry> = {}): LedgerEntry => ({
  at: '2026-03-01T10:00:00.000Z',
  endpointId: 'vpce-0123456789abcdef0',
  serviceId: 'vpce-svc-0123456789abcdef0',
  account: '111122223333',
  trigger: 'notification',
  decision: 'accept',
  rule: 'acme-prod',
  matched: ['acme-prod'],
  reasons: ['account 111122223333 is listed in rule acme-prod'],
  action: 'accept',
  outcome: 'accepted',
  dryRun: false,
  rulesVersion: 3,
  state: 'pendingAcceptance',
  ...overrides,
});
const decision = (overrides: Partial<LedgerEntry> = {}): Notice => ({
  kind: 'decision',
  entry: entry(overrides),
});
const invalidRule: Notice = {
  kind: 'invalid-rule',
  at: '2026-03-01T10:00:00.000Z',
  item: { kind: 'rule', id: 'broken' },
  problems: [{ path: 'match.accounts[0]', message: 'must be a 12-digit account id, got "12"' }],
  held: 'every request of every service is held for review, never accepted, until the item is fixed',
};

describe('the Chatbot custom notification (default)', () => {
  it('has the schema Chatbot requires, one thread per endpoint', () => {
    const message = formatNoticeMessage(decision());
    const parsed: unknown = JSON.parse(message.default);
    expect(parsed).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: ':white_check_mark: Accepted: vpce-0123456789abcdef0',
        keywords: ['accepted', 'accept', 'vpce-svc-0123456789abcdef0', '111122223333'],
      },
      metadata: {
        threadId: 'vpce-0123456789abcdef0',
        eventType: 'ConnectionAccepted',
        relatedResources: ['vpce-svc-0123456789abcdef0', 'vpce-0123456789abcdef0'],
        additionalContext: {
          account: '111122223333',
          rule: 'acme-prod',
          outcome: 'accepted',
          dryRun: 'false',
        },
      },
    });
    const notification = chatbotNotification(decision());
    expect(notification.content.description).toContain('*Decision* accept, rule acme-prod');
    expect(notification.content.description).toContain('• account 111122223333 is listed in rule acme-prod');
    expect(notification.metadata.summary).toBe(
      'Accepted vpce-0123456789abcdef0 (account 111122223333) on vpce-svc-0123456789abcdef0: rule acme-prod',
    );
    for (const value of Object.values(notification.metadata.additionalContext))
      expect(typeof value).toBe('string');
  });

  it('says "would" in dry-run and that nothing was changed', () => {
    const accept = chatbotNotification(decision({ dryRun: true }));
    expect(accept.content.title).toBe(':test_tube: Would accept: vpce-0123456789abcdef0');
    expect(accept.content.description).toContain('Dry run: nothing was changed');
    expect(accept.content.keywords).toContain('dry-run');
    const reject = chatbotNotification(
      decision({ dryRun: true, decision: 'reject', action: 'reject', outcome: 'rejected', rule: null }),
    );
    expect(reject.content.title).toBe(':test_tube: Would reject: vpce-0123456789abcdef0');
    expect(reject.content.description).toContain('*Decision* reject, default');
  });

  it('says an approval is the person’s, whoever carried it out, in the words history uses', () => {
    const actor = 'arn:aws:iam::000000000000:user/alice';
    const approved = decision({
      trigger: 'manual',
      rule: null,
      actor,
      reason: 'ticket 9',
      decidedAt: '2026-12-07T08:00:00.000Z',
      carriedBy: 'sweep',
    });
    const chat = chatbotNotification(approved);
    expect(chat.content.description).toContain(`*Decision* accept, approved by ${actor}`);
    expect(chat.content.description).toContain('*Reason given* ticket 9');
    expect(chat.content.description).toContain('*Decided at* 2026-12-07T08:00:00.000Z');
    expect(chat.content.description).toContain('*Carried out by* the sweep');
    expect(chat.content.description).not.toContain('*By*');
    expect(chat.metadata.summary).toContain(`approved by ${actor}`);
    const email = formatNoticeMessage(approved).email;
    expect(email).toContain(`Decided by:    approved by ${actor}`);
    expect(email).toContain('Carried by:    the sweep');
  });

  it('offers approve and deny for a held request, and shows errors of failed actions', () => {
    const held = chatbotNotification(
      decision({ decision: 'review', action: 'none', outcome: 'held', rule: null }),
    );
    expect(held.content.title).toContain('Held for review');
    expect(held.content.nextSteps).toEqual(
      expect.arrayContaining([
        'Approve: `plgate approve vpce-0123456789abcdef0`',
        'Deny: `plgate deny vpce-0123456789abcdef0`',
      ]),
    );
    const failed = chatbotNotification(
      decision({ outcome: 'failed', error: { code: 'InvalidState', message: 'not pending' } }),
    );
    expect(failed.content.title).toBe(':x: Failed to accept: vpce-0123456789abcdef0');
    expect(failed.content.description).toContain('*Error* `InvalidState`: not pending');
  });

  it('keeps every outcome within the limits, however long the reasons', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...OUTCOMES),
        fc.boolean(),
        fc.array(fc.string({ maxLength: 400 }), { maxLength: 30 }),
        fc.string({ maxLength: 300 }),
        (outcome, dryRun, reasons, actor) => {
          const n = chatbotNotification(decision({ outcome, dryRun, reasons, actor }));
          expect([...n.content.title].length).toBeLessThanOrEqual(CHATBOT_LIMITS.title);
          expect([...n.content.description].length).toBeLessThanOrEqual(CHATBOT_LIMITS.description);
          expect([...n.metadata.summary].length).toBeLessThanOrEqual(CHATBOT_LIMITS.summary);
          expect(n.content.nextSteps.length).toBeLessThanOrEqual(CHATBOT_LIMITS.nextSteps);
          expect(n.content.keywords.length).toBeLessThanOrEqual(CHATBOT_LIMITS.keywords);
          const subject = noticeSubject(decision({ outcome, dryRun, actor }));
          expect(subject.length).toBeLessThan(100);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('names the invalid rule item and its problems, in a thread of its own', () => {
    const n = chatbotNotification(invalidRule);
    expect(n.content.title).toBe(':warning: Invalid rule item: rule/broken');
    expect(n.content.description).toContain('• `match.accounts[0]`: must be a 12-digit account id, got "12"');
    // It says what actually happens: held, never "ignored".
    expect(n.content.description).toContain(
      '*What happens* every request of every service is held for review, never accepted, until the item is fixed',
    );
    expect(`${n.content.title} ${n.content.description}`).not.toMatch(/ignore/i);
    expect(n.metadata).toMatchObject({ threadId: 'rule-item/rule/broken', eventType: 'InvalidRule' });
  });
});

describe('the other protocols', () => {
  it('sqs and lambda carry the ledger entry as JSON; email is plain text', () => {
    const e = entry({ actor: 'arn:aws:sts::111122223333:assumed-role/ops/alice' });
    const message = formatNoticeMessage({ kind: 'decision', entry: e });
    expect(JSON.parse(message.sqs)).toEqual(e);
    expect(message.lambda).toBe(message.sqs);
    expect(message.email).toContain('privatelink-gate: Accepted vpce-0123456789abcdef0');
    expect(message.email).toContain('Decided by:    rule acme-prod');
    expect(message.email).toContain('By:            arn:aws:sts::111122223333:assumed-role/ops/alice');
    expect(message.email).not.toMatch(/[`*]/);
  });

  it('sqs carries the whole invalid-rule notice', () => {
    const message = formatNoticeMessage(invalidRule);
    expect(JSON.parse(message.sqs)).toEqual(invalidRule);
    expect(message.email).toContain('  - match.accounts[0]: must be a 12-digit account id, got "12"');
    expect(message.email).toContain(
      'What happens: every request of every service is held for review, never accepted, until the item is fixed.',
    );
    expect(`${message.email} ${noticeSubject(invalidRule)}`).not.toMatch(/ignore/i);
  });
});

describe('subject and attributes', () => {
  it('the subject is one ASCII line under 100 characters', () => {
    expect(noticeSubject(decision({ dryRun: true }))).toBe(
      '[privatelink-gate] [dry-run] Would accept vpce-0123456789abcdef0 on vpce-svc-0123456789abcdef0',
    );
    const long = noticeSubject({ ...invalidRule, item: { kind: 'rule', id: `ü${'x'.repeat(200)}\nnext` } });
    expect(long.length).toBe(99);
    expect(long).toMatch(/^[\x20-\x7e]+$/);
  });

  it('attributes allow filtering by decision, outcome, service, account and dry-run', () => {
    expect(noticeAttributes(decision())).toEqual({
      decision: 'accept',
      outcome: 'accepted',
      serviceId: 'vpce-svc-0123456789abcdef0',
      account: '111122223333',
      dryRun: 'false',
    });
    expect(noticeAttributes(invalidRule)).toEqual({ outcome: 'invalid-rule' });
  });
});

describe('a registration', () => {
  const registered = decision({
    endpointId: 'vpce-svc-0123456789abcdef0',
    trigger: 'register',
    rule: 'registered-111122223333-vpce-svc-0123456789abcdef0',
    action: 'none',
    outcome: 'registered',
    state: 'registered',
  });

  it('names the service, not an endpoint, and suggests the history command that reads it', () => {
    const chat = chatbotNotification(registered);
    expect(chat.content.description).toContain(
      '*Service* `vpce-svc-0123456789abcdef0` for account `111122223333`',
    );
    expect(chat.content.description).not.toContain('*Endpoint*');
    expect(chat.content.nextSteps).toContain(
      'History: `plgate history --service vpce-svc-0123456789abcdef0`',
    );
    const email = formatNoticeMessage(registered).email;
    expect(email).not.toMatch(/^Endpoint:/m);
    expect(email).toMatch(/^Service: +vpce-svc-0123456789abcdef0$/m);
    expect(email).toContain('plgate history --service vpce-svc-0123456789abcdef0');
  });

  it('leaves the endpoint and its history command to every other outcome', () => {
    const chat = chatbotNotification(decision());
    expect(chat.content.description).toContain('*Endpoint* `vpce-0123456789abcdef0`');
    expect(chat.content.nextSteps).toContain('History: `plgate history vpce-0123456789abcdef0`');
  });
});
