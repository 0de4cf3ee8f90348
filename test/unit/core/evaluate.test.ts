import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { parseConnection } from '../../../functions/core/connection.ts';
import type { Effect } from '../../../functions/core/decision-record.ts';
import { evaluate, evaluateScanningAll } from '../../../functions/core/evaluate.ts';
import { ruleSetFromFiles } from '../../../functions/core/rules/rule-files.ts';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-items.ts';
import { connection, context, NOW, OTHER_SERVICE, rules, SERVICE } from './rules-for-tests.ts';

const ORG = { organizationId: 'o-abcdefghij', ouIds: ['ou-root-aaaaaaaa', 'ou-ab12-cd34ef56'] };

describe('conditions', () => {
  it('an empty or absent match matches every connection', () => {
    const set = rules({ id: 'all', effect: 'accept' }, { id: 'all-empty', effect: 'accept', match: {} });
    const record = evaluate(connection({ account: '999999999999' }), context(), set);
    expect(record).toMatchObject({
      decision: 'accept',
      rule: 'all',
      matched: ['all', 'all-empty'],
      default: false,
    });
    expect(record.reasons).toContain('rule "all" (accept) matched: it has no conditions');
  });

  it.each([
    ['accounts', { accounts: ['111111111111', '222222222222'] }, {}, { account: '333333333333' }],
    ['endpoints', { endpoints: ['vpce-0b7a3c9d1e2f40516'] }, {}, { endpointId: 'vpce-0000000000000000a' }],
    ['regions', { regions: ['us-east-1', 'eu-west-1'] }, {}, { region: 'ap-south-1' }],
    ['ipAddressTypes', { ipAddressTypes: ['ipv4', 'dualstack'] }, {}, { ipAddressType: 'ipv6' as const }],
    ['tags (value)', { tags: { env: 'prod' } }, { tags: { env: 'prod', x: 'y' } }, { tags: { env: 'dev' } }],
    ['tags ("*" = present)', { tags: { team: '*' } }, { tags: { team: '' } }, { tags: { other: 'x' } }],
  ])('%s: holds for a listed value, not for another', (_name, match, holds, fails) => {
    const set = rules({ id: 'r', effect: 'accept', match });
    expect(evaluate(connection(holds), context(), set).decision).toBe('accept');
    const record = evaluate(connection(fails), context(), set);
    expect(record).toMatchObject({ decision: 'review', default: true, matched: [], undetermined: [] });
  });

  it('every condition given must hold', () => {
    const set = rules({
      id: 'r',
      effect: 'accept',
      match: { accounts: ['111111111111'], regions: ['us-east-1'], tags: { env: 'prod' } },
    });
    expect(evaluate(connection({ tags: { env: 'prod' } }), context(), set).decision).toBe('accept');
    expect(
      evaluate(connection({ tags: { env: 'prod' }, region: 'us-west-2' }), context(), set).decision,
    ).toBe('review');
    expect(evaluate(connection({ tags: {} }), context(), set).decision).toBe('review');
  });

  it('tag keys and values are case-sensitive; every tag listed must be present', () => {
    const set = rules({ id: 'r', effect: 'accept', match: { tags: { Env: 'Prod', team: '*' } } });
    expect(evaluate(connection({ tags: { Env: 'Prod', team: 'a' } }), context(), set).decision).toBe(
      'accept',
    );
    expect(evaluate(connection({ tags: { env: 'Prod', team: 'a' } }), context(), set).decision).toBe(
      'review',
    );
    expect(evaluate(connection({ tags: { Env: 'prod', team: 'a' } }), context(), set).decision).toBe(
      'review',
    );
    expect(evaluate(connection({ tags: { Env: 'Prod' } }), context(), set).decision).toBe('review');
  });

  it('tag keys that are also Object.prototype names are not present unless tagged', () => {
    const set = rules({ id: 'r', effect: 'accept', match: { tags: { constructor: '*', toString: '*' } } });
    expect(evaluate(connection({ tags: {} }), context(), set).decision).toBe('review');
  });

  it('organizations and organizationalUnits (any OU on the path root→parent)', () => {
    const set = rules(
      { id: 'org', effect: 'accept', match: { organizations: ['o-abcdefghij'] } },
      { id: 'ou', effect: 'review', match: { organizationalUnits: ['ou-ab12-cd34ef56'] } },
    );
    expect(evaluate(connection(), context({ organization: ORG }), set)).toMatchObject({
      decision: 'review',
      rule: 'ou',
      matched: ['org', 'ou'],
    });
    const elsewhere = { organizationId: 'o-zzzzzzzzzz', ouIds: ['ou-zz99-zzzzzzzz'] };
    expect(evaluate(connection(), context({ organization: elsewhere }), set)).toMatchObject({
      decision: 'review',
      default: true,
    });
    const onlyOrg = { organizationId: 'o-abcdefghij', ouIds: [] };
    expect(evaluate(connection(), context({ organization: onlyOrg }), set)).toMatchObject({
      decision: 'accept',
      rule: 'org',
    });
  });

  it('the reasons say which conditions a rule matched on', () => {
    const set = rules({
      id: 'r',
      effect: 'accept',
      match: {
        accounts: ['111111111111'],
        regions: ['us-east-1'],
        tags: { env: 'prod', team: '*' },
        organizationalUnits: ['ou-ab12-cd34ef56'],
      },
    });
    const record = evaluate(
      connection({ tags: { env: 'prod', team: 'x' } }),
      context({ organization: ORG }),
      set,
    );
    expect(record.reasons).toEqual([
      'accepted by accept rule "r"',
      'rule "r" (accept) matched: account 111111111111, organizational unit ou-ab12-cd34ef56, region us-east-1, tag env=prod, tag team present',
    ]);
  });
});

describe('a tag key __proto__ is an ordinary key', () => {
  const fromTable = ruleSetFromItems([
    JSON.parse('{"kind":"rule","id":"p","effect":"accept","match":{"tags":{"__proto__":"x"}}}'),
  ]);
  const fromFile = ruleSetFromFiles([
    {
      path: 'p.yaml',
      text: 'rules:\n  - id: p\n    effect: accept\n    match:\n      tags: { __proto__: x }\n',
    },
  ]);
  const tagged = (tags: { Key: string; Value: string }[]) =>
    parseConnection({
      ServiceId: SERVICE,
      VpcEndpointId: 'vpce-0b7a3c9d1e2f40516',
      VpcEndpointOwner: '111111111111',
      VpcEndpointState: 'pendingAcceptance',
      CreationTimestamp: new Date('2026-11-21T11:00:00Z'),
      Tags: tags,
    });

  it('in a rule, from the table and from a file: it is kept and must hold', () => {
    for (const { ruleSet, problems } of [fromTable, fromFile]) {
      expect(problems).toEqual([]);
      expect(ruleSet.index.all[0]?.tags).toEqual([['__proto__', 'x']]);
      expect(evaluate(connection({ tags: {} }), context(), ruleSet).decision).toBe('review');
      expect(evaluate(tagged([{ Key: '__proto__', Value: 'y' }]), context(), ruleSet).decision).toBe(
        'review',
      );
      expect(evaluate(tagged([{ Key: '__proto__', Value: 'x' }]), context(), ruleSet)).toMatchObject({
        decision: 'accept',
        rule: 'p',
      });
    }
  });

  it('through DynamoDB marshalling (which drops the key) the rule is invalid, never a match-all accept', () => {
    const stored = unmarshall(
      marshall(JSON.parse('{"kind":"rule","id":"p","effect":"accept","match":{"tags":{"__proto__":"x"}}}')),
    );
    const { ruleSet, problems } = ruleSetFromItems([stored]);
    expect(problems.map((p) => p.message).join()).toContain('must name at least one tag');
    expect(evaluate(tagged([{ Key: 'env', Value: 'prod' }]), context(), ruleSet).decision).toBe('review');
  });

  it('on a connection: parsed as an own tag, never a prototype', () => {
    const c = tagged([{ Key: '__proto__', Value: 'x' }]);
    expect(Object.hasOwn(c.tags, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(c.tags)).toBe(Object.prototype);
    const star = rules({ id: 's', effect: 'accept', match: JSON.parse('{"tags":{"__proto__":"*"}}') });
    expect(evaluate(c, context(), star).decision).toBe('accept');
  });

  it('its value is checked like any tag value', () => {
    const { problems } = ruleSetFromItems([
      JSON.parse('{"kind":"rule","id":"p","effect":"accept","match":{"tags":{"__proto__":7}}}'),
    ]);
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'match.tags.__proto__: must be a string of at most 256 characters, got 7',
    ]);
  });
});

describe('crossRegion', () => {
  const set = rules(
    { id: 'elsewhere', effect: 'review', match: { crossRegion: true } },
    { id: 'home', effect: 'accept', match: { crossRegion: false } },
  );
  const at = (region: string | undefined, serviceRegion?: string) =>
    evaluate(connection({ region }), context(serviceRegion ? { serviceRegion } : {}), set);

  it("true when the endpoint's region differs from the service's, false when it is the same", () => {
    expect(at('eu-west-1', 'us-east-1')).toMatchObject({ decision: 'review', matched: ['elsewhere'] });
    expect(at('us-east-1', 'us-east-1')).toMatchObject({ decision: 'accept', matched: ['home'] });
    expect(at('us-east-1', 'us-east-1').reasons).toContain(
      'rule "home" (accept) matched: same region as the service (us-east-1)',
    );
    expect(at('eu-west-1', 'us-east-1').reasons).toContain(
      'rule "elsewhere" (review) matched: cross-region (eu-west-1, service in us-east-1)',
    );
  });

  it("an endpoint EC2 gives no region for is in the service's region", () => {
    expect(at(undefined, 'us-east-1')).toMatchObject({ decision: 'accept', matched: ['home'] });
  });

  it("undetermined when the service's region is unknown: never an accept", () => {
    for (const region of ['us-east-1', undefined]) {
      const record = at(region);
      expect(record).toMatchObject({ decision: 'review', matched: [] });
      expect(record.undetermined).toEqual(['elsewhere', 'home']);
      expect(record.reasons).toContain(
        'rule "elsewhere" (review) could not be determined: the service\'s region is unknown',
      );
    }
  });

  it('must be true or false', () => {
    const { problems } = ruleSetFromItems([
      { kind: 'rule', id: 'x', effect: 'review', match: { crossRegion: 'yes' } },
    ]);
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'match.crossRegion: must be true or false, got "yes"',
    ]);
  });
});

describe('precedence: reject > review > accept > service default > defaults > review', () => {
  const reject = { id: 'z-reject', effect: 'reject' };
  const review = { id: 'y-review', effect: 'review' };
  const accept = { id: 'a-accept', effect: 'accept' };
  const cases: [string, Record<string, unknown>[], Effect, string | null][] = [
    ['reject beats review and accept', [accept, review, reject], 'reject', 'z-reject'],
    ['reject beats accept', [accept, reject], 'reject', 'z-reject'],
    ['review beats accept', [accept, review], 'review', 'y-review'],
    ['accept alone', [accept], 'accept', 'a-accept'],
    ['nothing: built-in review', [], 'review', null],
  ];
  it.each(cases)('%s', (_name, items, decision, rule) => {
    const record = evaluate(connection(), context(), rules(...items));
    expect(record.decision).toBe(decision);
    expect(record.rule).toBe(rule);
    expect(record.default).toBe(rule === null);
  });

  it('the deciding rule is the smallest id among the winning effect, and matched lists every match sorted', () => {
    const set = rules(
      { id: 'm-accept', effect: 'accept' },
      { id: 'c-reject', effect: 'reject' },
      { id: 'b-reject', effect: 'reject' },
      { id: 'A-reject', effect: 'reject' },
    );
    const record = evaluate(connection(), context(), set);
    expect(record.rule).toBe('A-reject'); // code-unit order: upper case first
    expect(record.matched).toEqual(['A-reject', 'b-reject', 'c-reject', 'm-accept']);
    expect(record.reasons[0]).toBe('rejected by reject rule "A-reject"');
  });

  it('service defaultEffect over defaults over built-in review', () => {
    const set = rules(
      { kind: 'defaults', id: 'defaults', defaultEffect: 'accept' },
      { kind: 'service', id: SERVICE, defaultEffect: 'reject' },
      { kind: 'service', id: OTHER_SERVICE, mode: 'dry-run' },
    );
    expect(evaluate(connection(), context(), set)).toMatchObject({
      decision: 'reject',
      default: true,
      rule: null,
    });
    expect(evaluate(connection(), context(), set).reasons).toEqual([
      `no rule decided: service ${SERVICE} defaults to reject`,
    ]);
    expect(evaluate(connection({ serviceId: OTHER_SERVICE }), context(), set)).toMatchObject({
      decision: 'accept',
      default: true,
    });
    expect(evaluate(connection({ serviceId: OTHER_SERVICE }), context(), set).reasons).toEqual([
      'no rule decided: the defaults say accept',
    ]);
    expect(evaluate(connection(), context(), rules()).reasons).toEqual([
      'no rule decided: the built-in default is review',
    ]);
  });

  it('any matching rule beats every default', () => {
    const set = rules(
      { kind: 'defaults', id: 'defaults', defaultEffect: 'reject' },
      { id: 'a', effect: 'accept' },
    );
    expect(evaluate(connection(), context(), set)).toMatchObject({ decision: 'accept', default: false });
  });
});

describe('active rules', () => {
  it('validity windows: validFrom inclusive, validUntil exclusive', () => {
    const set = rules({
      id: 'w',
      effect: 'accept',
      validFrom: '2026-11-21T12:00:00Z',
      validUntil: '2026-11-21T13:00:00Z',
    });
    const at = (iso: string) => evaluate(connection(), context({ now: new Date(iso) }), set).decision;
    expect(at('2026-11-21T11:59:59.999Z')).toBe('review');
    expect(at('2026-11-21T12:00:00Z')).toBe('accept');
    expect(at('2026-11-21T12:59:59.999Z')).toBe('accept');
    expect(at('2026-11-21T13:00:00Z')).toBe('review');
  });

  it('open-ended windows', () => {
    const from = rules({ id: 'f', effect: 'reject', validFrom: '2026-01-01T00:00:00+01:00' });
    expect(evaluate(connection(), context({ now: new Date('2025-12-31T23:00:00Z') }), from).decision).toBe(
      'reject',
    );
    expect(evaluate(connection(), context({ now: new Date('2025-12-31T22:59:59Z') }), from).decision).toBe(
      'review',
    );
    const until = rules({ id: 'u', effect: 'reject', validUntil: '2026-01-01T00:00:00Z' });
    expect(evaluate(connection(), context({ now: new Date('2025-06-01T00:00:00Z') }), until).decision).toBe(
      'reject',
    );
  });

  it('disabled rules do nothing, whatever their effect', () => {
    const set = rules(
      { id: 'off-reject', effect: 'reject', enabled: false },
      { id: 'off-review', effect: 'review', enabled: false, match: { organizations: ['o-abcdefghij'] } },
      { id: 'on', effect: 'accept', enabled: true },
    );
    expect(evaluate(connection(), context(), set)).toMatchObject({
      decision: 'accept',
      matched: ['on'],
      undetermined: [],
    });
    expect(set.rules.map((rule) => rule.id)).toEqual(['off-reject', 'off-review', 'on']);
  });

  it('service scoping: a rule with services applies only to those services', () => {
    const set = rules(
      { id: 'scoped', effect: 'reject', services: [OTHER_SERVICE] },
      { id: 'everywhere', effect: 'accept' },
    );
    expect(evaluate(connection(), context(), set).decision).toBe('accept');
    expect(evaluate(connection({ serviceId: OTHER_SERVICE }), context(), set).decision).toBe('reject');
  });
});

describe('limits', () => {
  const set = rules({
    id: 'quota',
    effect: 'accept',
    match: { accounts: ['111111111111'] },
    limits: { maxEndpointsPerAccount: 3 },
  });

  it('match while live endpoints are below the limit', () => {
    const record = evaluate(connection(), context({ liveEndpoints: 2 }), set);
    expect(record).toMatchObject({ decision: 'accept', rule: 'quota' });
    expect(record.reasons).toContain(
      'rule "quota" (accept) matched: account 111111111111, 2 of 3 endpoints in use',
    );
  });

  it('do not match once the limit is reached, and say so', () => {
    for (const live of [3, 4]) {
      const record = evaluate(connection(), context({ liveEndpoints: live }), set);
      expect(record).toMatchObject({ decision: 'review', default: true, matched: [] });
      expect(record.reasons).toContain(
        `rule "quota" (accept) did not match: limit reached: ${live} of 3 endpoints of account 111111111111 on this service`,
      );
    }
  });

  it('do not match when the count is unknown: missing data never accepts', () => {
    const record = evaluate(connection(), context(), set);
    expect(record).toMatchObject({ decision: 'review', default: true, undetermined: ['quota'] });
    expect(record.reasons).toContain(
      'rule "quota" (accept) did not match: limit of 3 endpoints per account cannot be checked: count unknown',
    );
  });

  it('a limited rule that does not match leaves the decision to others', () => {
    const more = rules(
      { id: 'quota', effect: 'accept', limits: { maxEndpointsPerAccount: 1 } },
      { id: 'unlimited', effect: 'accept', match: { accounts: ['111111111111'] } },
    );
    expect(evaluate(connection(), context({ liveEndpoints: 5 }), more)).toMatchObject({
      decision: 'accept',
      rule: 'unlimited',
    });
  });
});

describe('undetermined conditions (organization, region, IP address type unknown)', () => {
  it('an undetermined reject or review rule turns an accept into review', () => {
    for (const effect of ['reject', 'review']) {
      const set = rules(
        { id: 'a', effect: 'accept' },
        { id: 'org-rule', effect, match: { organizations: ['o-abcdefghij'] } },
      );
      const record = evaluate(connection(), context(), set);
      expect(record).toMatchObject({
        decision: 'review',
        rule: null,
        default: false,
        matched: ['a'],
        undetermined: ['org-rule'],
      });
      expect(record.reasons).toEqual([
        'held for review: reject or review rule "org-rule" could not be determined',
        'accept rule "a" matched, but an undetermined reject or review rule never lets it accept',
        'rule "a" (accept) matched: it has no conditions',
        `rule "org-rule" (${effect}) could not be determined: the organization of account 111111111111 is unknown`,
      ]);
    }
  });

  it('a condition that is false decides even when another is undetermined', () => {
    const set = rules(
      { id: 'a', effect: 'accept' },
      { id: 'x', effect: 'reject', match: { accounts: ['666666666666'], organizations: ['o-abcdefghij'] } },
    );
    expect(evaluate(connection(), context(), set)).toMatchObject({ decision: 'accept', undetermined: [] });
  });

  it('an undetermined accept rule does not match', () => {
    const set = rules({
      id: 'org-accept',
      effect: 'accept',
      match: { organizationalUnits: ['ou-ab12-cd34ef56'] },
    });
    const record = evaluate(connection(), context(), set);
    expect(record).toMatchObject({ decision: 'review', default: true, undetermined: ['org-accept'] });
    expect(evaluate(connection(), context({ organization: ORG }), set).decision).toBe('accept');
  });

  it('reject still wins over undetermined rules', () => {
    const set = rules(
      { id: 'b', effect: 'reject' },
      { id: 'org', effect: 'review', match: { organizations: ['o-abcdefghij'] } },
    );
    expect(evaluate(connection(), context(), set)).toMatchObject({
      decision: 'reject',
      rule: 'b',
      undetermined: ['org'],
    });
  });

  it('a missing region is the service region when the context knows it, else undetermined', () => {
    const set = rules(
      { id: 'a', effect: 'accept' },
      { id: 'far', effect: 'review', match: { regions: ['eu-west-1'] } },
    );
    const sameRegion = connection({ region: undefined });
    expect(evaluate(sameRegion, context({ serviceRegion: 'us-east-1' }), set).decision).toBe('accept');
    expect(evaluate(sameRegion, context({ serviceRegion: 'eu-west-1' }), set).decision).toBe('review');
    const record = evaluate(sameRegion, context(), set);
    expect(record).toMatchObject({ decision: 'review', rule: null, undetermined: ['far'] });
    expect(record.reasons).toContain(
      'rule "far" (review) could not be determined: the endpoint region is unknown',
    );
    // The connection's own region wins over the service region.
    expect(
      evaluate(connection({ region: 'eu-west-1' }), context({ serviceRegion: 'us-east-1' }), set).decision,
    ).toBe('review');
  });

  it('a missing IP address type is undetermined', () => {
    const set = rules({ id: 'v6', effect: 'reject', match: { ipAddressTypes: ['ipv6'] } });
    expect(evaluate(connection({ ipAddressType: undefined }), context(), set)).toMatchObject({
      decision: 'review',
      undetermined: ['v6'],
    });
  });
});

describe('invalid table items fail closed', () => {
  it('an invalid reject or review rule is undetermined for the services it names: held for review', () => {
    const { ruleSet, problems } = ruleSetFromItems([
      { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: ['111111111111'] } },
      {
        kind: 'rule',
        id: 'broken',
        effect: 'reject',
        services: [OTHER_SERVICE],
        match: { accounts: ['1111'] },
      },
    ]);
    expect(problems).toHaveLength(1);
    expect(ruleSet.invalid).toEqual([
      expect.objectContaining({ id: 'broken', kind: 'rule', services: [OTHER_SERVICE] }),
    ]);
    expect(evaluate(connection(), context(), ruleSet).decision).toBe('accept');
    const record = evaluate(connection({ serviceId: OTHER_SERVICE }), context(), ruleSet);
    expect(record).toMatchObject({
      decision: 'review',
      rule: null,
      matched: ['partners'],
      undetermined: ['broken'],
    });
    expect(record.reasons).toContain(
      'rule item "broken" is invalid, so it is undetermined and holds requests for review: table: match.accounts[0]: must be a 12-digit account id, got "1111"',
    );
  });

  it('an invalid rule whose effect cannot be read is undetermined too; an invalid accept rule is left out', () => {
    for (const effect of ['deny', undefined, 7]) {
      const { ruleSet } = ruleSetFromItems([
        { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: ['111111111111'] } },
        { kind: 'rule', id: 'broken', effect, match: { accounts: ['111111111111'] } },
      ]);
      expect(evaluate(connection(), context(), ruleSet)).toMatchObject({
        decision: 'review',
        undetermined: ['broken'],
      });
    }
    const { ruleSet } = ruleSetFromItems([
      { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: ['111111111111'] } },
      { kind: 'rule', id: 'broken', effect: 'accept', match: { accounts: '111111111111' } },
    ]);
    expect(ruleSet.invalid).toEqual([expect.objectContaining({ id: 'broken', effect: 'accept' })]);
    expect(evaluate(connection(), context(), ruleSet)).toMatchObject({
      decision: 'accept',
      rule: 'partners',
      undetermined: [],
    });
  });

  it('an invalid review rule is never ignored: a broad accept cannot admit what it held', () => {
    const { ruleSet } = ruleSetFromItems([
      { kind: 'rule', id: 'everyone', effect: 'accept', match: {} },
      { kind: 'rule', id: 'watch', effect: 'review', match: { accounts: ['111111111111'], colour: 'red' } },
    ]);
    expect(evaluate(connection(), context(), ruleSet)).toMatchObject({ decision: 'review', rule: null });
  });

  it('an invalid rule item whose services cannot be read applies to every service', () => {
    const { ruleSet } = ruleSetFromItems([
      { kind: 'rule', id: 'a', effect: 'accept' },
      { kind: 'rule', id: 'broken', effect: 'reject', services: ['vpce-svc-typo'], match: {} },
      { kind: 'rule', effect: 'reject', colour: 'red' },
    ]);
    for (const serviceId of [SERVICE, OTHER_SERVICE]) {
      expect(evaluate(connection({ serviceId }), context(), ruleSet)).toMatchObject({
        decision: 'review',
        undetermined: ['broken', 'table#item-2'],
      });
    }
  });

  it('an item of an unknown kind also counts as an undetermined reject rule; meta items are ignored', () => {
    const { ruleSet, problems } = ruleSetFromItems([
      { kind: 'meta', id: 'version', version: 7 },
      { kind: 'rules', id: 'typo', effect: 'reject' },
      { kind: 'rule', id: 'a', effect: 'accept' },
    ]);
    expect(problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([
      'kind: must be one of defaults, service, rule (or meta), got "rules"',
    ]);
    expect(evaluate(connection(), context(), ruleSet)).toMatchObject({
      decision: 'review',
      undetermined: ['typo'],
    });
  });

  it('an invalid rule never blocks a reject', () => {
    const { ruleSet } = ruleSetFromItems([
      { kind: 'rule', id: 'block', effect: 'reject' },
      { kind: 'rule', id: 'broken', effect: 'review', limits: 'three' },
    ]);
    expect(evaluate(connection(), context(), ruleSet)).toMatchObject({ decision: 'reject', rule: 'block' });
  });

  it("an invalid service item holds the service: review, never its or the defaults' effect, and the reasons say so", () => {
    const { ruleSet } = ruleSetFromItems([
      { kind: 'defaults', id: 'defaults', defaultEffect: 'accept' },
      { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: ['111111111111'] } },
      { kind: 'service', id: SERVICE, defaultEffect: 'reject', mode: 'sometimes' },
    ]);
    expect(ruleSet.services.size).toBe(0);
    const record = evaluate(connection(), context(), ruleSet);
    expect(record).toMatchObject({ decision: 'review', rule: null, default: false, undetermined: [SERVICE] });
    expect(record.reasons.slice(0, 2)).toEqual([
      `held: service item "${SERVICE}" is invalid (mode: must be one of enforce, dry-run, off, got "sometimes"), so service ${SERVICE} is held: no accept, reject, expiry or revoke on its connections until the item is fixed`,
      'without the hold: accepted by accept rule "partners"',
    ]);
    expect(evaluate(connection({ serviceId: OTHER_SERVICE }), context(), ruleSet).decision).toBe('accept');
  });

  it('an invalid defaults item holds the services that use it, and the reasons say so', () => {
    const { ruleSet } = ruleSetFromItems([
      { kind: 'defaults', id: 'defaults', defaultEffect: 'accept', pendingTtl: 'a week' },
    ]);
    expect(ruleSet.defaults).toBeUndefined();
    const record = evaluate(connection(), context(), ruleSet);
    expect(record).toMatchObject({ decision: 'review', default: false, undetermined: ['defaults'] });
    expect(record.reasons).toEqual([
      'held: defaults item "defaults" is invalid (pendingTtl: must be an ISO-8601 duration such as P7D, PT12H or P1DT6H, got "a week"), so every service without complete settings of its own is held: no accept, reject, expiry or revoke on its connections until the item is fixed',
      'without the hold: no rule decided: the built-in default is review',
    ]);
  });
});

describe('determinism', () => {
  it('same rules and context, same record; the indexes agree with scanning every rule', () => {
    const set = rules(
      { id: 'acct', effect: 'accept', match: { accounts: ['111111111111'] } },
      {
        id: 'ep',
        effect: 'review',
        match: { endpoints: ['vpce-0b7a3c9d1e2f40516'], accounts: ['111111111111'] },
      },
      { id: 'scoped', effect: 'reject', services: [OTHER_SERVICE] },
      { id: 'tagged', effect: 'accept', match: { tags: { env: '*' } } },
    );
    for (const c of [
      connection(),
      connection({ serviceId: OTHER_SERVICE }),
      connection({ endpointId: 'vpce-0000000000000000a', tags: { env: 'x' } }),
    ]) {
      const first = evaluate(c, context(), set);
      expect(evaluate(c, context(), set)).toEqual(first);
      expect(evaluateScanningAll(c, context(), set)).toEqual(first);
    }
  });

  it('a record carries the connection ids', () => {
    const record = evaluate(connection({ account: '222222222222' }), context({ now: NOW }), rules());
    expect(record).toMatchObject({
      endpointId: 'vpce-0b7a3c9d1e2f40516',
      serviceId: SERVICE,
      account: '222222222222',
    });
  });
});
