/**
 * `match.serviceAccounts` and `match.serviceRegions`: where the endpoint service lives (a
 * fleet member's account and region), as the connection carries it or, for a stack of one,
 * as the context gives the gate's own.
 */
import { describe, expect, it } from 'vitest';
import { inPlace, parseConnection } from '../../../functions/core/connection.ts';
import { evaluate } from '../../../functions/core/evaluate.ts';
import { explainConnection } from '../../../functions/core/rule-verdicts.ts';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-items.ts';
import { ruleFileJsonSchema } from '../../../functions/core/rules/schema.ts';
import { connection, context, rules } from './rules-for-tests.ts';

const MEMBER = { account: '444455556666', region: 'eu-west-1' };
const inMember = (overrides = {}) =>
  connection({ serviceAccount: MEMBER.account, serviceRegion: MEMBER.region, ...overrides });

describe('serviceAccounts and serviceRegions', () => {
  it.each([
    ['serviceAccounts', { serviceAccounts: ['444455556666'] }, { serviceAccount: '777788889999' }],
    ['serviceRegions', { serviceRegions: ['eu-west-1', 'eu-central-1'] }, { serviceRegion: 'us-west-2' }],
  ])('%s: holds for the member the service lives in, not for another', (_name, match, elsewhere) => {
    const set = rules({ id: 'member', effect: 'accept', match });
    const record = evaluate(inMember(), context(), set);
    expect(record).toMatchObject({ decision: 'accept', rule: 'member' });
    expect(evaluate(inMember(elsewhere), context(), set)).toMatchObject({
      decision: 'review',
      default: true,
      matched: [],
      undetermined: [],
    });
  });

  it("names the service's account and region in the reasons", () => {
    const set = rules({
      id: 'member',
      effect: 'accept',
      match: { serviceAccounts: ['444455556666'], serviceRegions: ['eu-west-1'] },
    });
    expect(evaluate(inMember(), context(), set).reasons).toContain(
      'rule "member" (accept) matched: service account 444455556666, service region eu-west-1',
    );
  });

  it("stay the service's: the consumer's account and region do not satisfy them", () => {
    const set = rules({ id: 'member', effect: 'accept', match: { serviceAccounts: ['111111111111'] } });
    // The consumer is 111111111111 in us-east-1; the service is in the member.
    expect(evaluate(inMember(), context(), set).decision).toBe('review');
    const regions = rules({ id: 'member', effect: 'accept', match: { serviceRegions: ['us-east-1'] } });
    expect(evaluate(inMember(), context(), regions).decision).toBe('review');
  });

  it("fall back to the gate's own account and region for a stack of one", () => {
    const set = rules({
      id: 'home',
      effect: 'accept',
      match: { serviceAccounts: ['999999999999'], serviceRegions: ['us-east-1'] },
    });
    const own = context({ serviceAccount: '999999999999', serviceRegion: 'us-east-1' });
    expect(evaluate(connection(), own, set).decision).toBe('accept');
    // What the connection carries wins over the context.
    expect(evaluate(inMember(), own, set).decision).toBe('review');
  });

  it('are undetermined when nothing says where the service lives, and then never accept', () => {
    const accept = rules({ id: 'member', effect: 'accept', match: { serviceAccounts: ['444455556666'] } });
    expect(evaluate(connection(), context(), accept)).toMatchObject({
      decision: 'review',
      undetermined: ['member'],
    });
    const reject = rules(
      { id: 'open', effect: 'accept' },
      { id: 'not-there', effect: 'reject', match: { serviceRegions: ['eu-west-1'] } },
    );
    const record = evaluate(connection(), context(), reject);
    expect(record).toMatchObject({ decision: 'review', undetermined: ['not-there'] });
    expect(record.reasons.join('\n')).toContain("the service's region is unknown");
  });

  it("decide crossRegion against the connection's service region in a fleet", () => {
    const set = rules({ id: 'cross', effect: 'accept', match: { crossRegion: true } });
    // Consumer in us-east-1, service in eu-west-1: cross-region, whatever the gate's own region.
    expect(evaluate(inMember(), context({ serviceRegion: 'us-east-1' }), set).decision).toBe('accept');
    expect(
      evaluate(inMember({ region: 'eu-west-1' }), context({ serviceRegion: 'us-east-1' }), set).decision,
    ).toBe('review');
  });
});

describe('explain', () => {
  it('shows what each condition saw, and a near miss held back by the service region alone', () => {
    const set = rules({
      id: 'acme-in-ireland',
      effect: 'accept',
      match: { accounts: ['111111111111'], serviceRegions: ['eu-central-1'] },
    });
    const explanation = explainConnection(inMember(), context(), set);
    expect(explanation.rules[0]?.conditions).toEqual([
      { condition: 'accounts', holds: true, detail: 'account 111111111111 is listed' },
      {
        condition: 'serviceRegions',
        holds: false,
        detail: 'service region eu-west-1 is not listed (eu-central-1)',
      },
    ]);
    expect(explanation.nearMisses).toEqual([
      {
        id: 'acme-in-ireland',
        effect: 'accept',
        held: 1,
        of: 2,
        failed: ['serviceRegions'],
        undetermined: [],
      },
    ]);
  });

  it("says when the service's account cannot be told", () => {
    const set = rules({
      id: 'member',
      effect: 'accept',
      match: { accounts: ['111111111111'], serviceAccounts: ['444455556666'] },
    });
    const [verdict] = explainConnection(connection(), context(), set).rules;
    expect(verdict?.verdict).toBe('undetermined');
    expect(verdict?.conditions[1]).toEqual({
      condition: 'serviceAccounts',
      holds: 'undetermined',
      detail: "the service's account is unknown",
    });
  });
});

describe('validation', () => {
  it.each([
    [{ serviceAccounts: ['4444'] }, 'match.serviceAccounts[0]', 'must be a 12-digit account id, got "4444"'],
    [{ serviceAccounts: [] }, 'match.serviceAccounts', 'must list at least one value'],
    [
      { serviceRegions: ['Ireland'] },
      'match.serviceRegions[0]',
      'must be an AWS region such as us-east-1, got "Ireland"',
    ],
    [{ serviceRegion: ['eu-west-1'] }, 'match.serviceRegion', 'did you mean "serviceRegions"?'],
  ])('refuses %j, naming the field and the value', (match, path, message) => {
    const { problems } = ruleSetFromItems([{ kind: 'rule', id: 'r', effect: 'accept', match }]);
    expect(problems).toContainEqual(
      expect.objectContaining({ path, message: expect.stringContaining(message) }),
    );
  });

  it('are in the JSON schema editors read', () => {
    const schema = JSON.stringify(ruleFileJsonSchema());
    expect(schema).toContain('"serviceAccounts"');
    expect(schema).toContain('"serviceRegions"');
  });
});

describe('connections read in a member', () => {
  it('carry the account and region they were read in', () => {
    const raw = {
      ServiceId: 'vpce-svc-0a1b2c3d4e5f67890',
      VpcEndpointId: 'vpce-0b7a3c9d1e2f40516',
      VpcEndpointOwner: '111111111111',
      VpcEndpointState: 'pendingAcceptance',
      CreationTimestamp: '2026-11-21T11:00:00Z',
    };
    expect(parseConnection(raw).serviceAccount).toBeUndefined();
    expect(inPlace(parseConnection(raw), MEMBER)).toMatchObject({
      serviceId: 'vpce-svc-0a1b2c3d4e5f67890',
      serviceAccount: '444455556666',
      serviceRegion: 'eu-west-1',
    });
  });
});
