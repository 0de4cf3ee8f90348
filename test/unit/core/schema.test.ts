import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { schemaText } from '../../../cli/generate-schema.ts';
import { formatProblem } from '../../../functions/core/rules/problems.ts';
import { ruleSetFromFiles } from '../../../functions/core/rules/rule-files.ts';
import {
  DefaultsSchema,
  RuleFileSchema,
  RuleItemSchema,
  RuleSchema,
  ServiceSettingsSchema,
} from '../../../functions/core/rules/schema.ts';

const FILE = 'policies/partners.yaml';

/** Every problem of one rule file, as `plgate policy validate` prints them (without lines). */
function problemsOf(text: string): string[] {
  return ruleSetFromFiles([{ path: FILE, text }]).problems.map(formatProblem);
}

/** A file with one rule: `id: acme-prod`, `effect`, and the YAML lines given. */
function ruleFile(effect: string, ...lines: string[]): string {
  return ['rules:', '  - id: acme-prod', `    effect: ${effect}`, ...lines.map((line) => `    ${line}`)].join(
    '\n',
  );
}

describe('the rule model refuses, naming file, rule and field', () => {
  it.each([
    [
      ['match: { accounts: ["1111"] }'],
      'rule "acme-prod": match.accounts[0]: must be a 12-digit account id, got "1111"',
    ],
    [
      ['match: { accounts: [111111111111] }'],
      'rule "acme-prod": match.accounts[0]: must be a string (put it in quotes: YAML reads it as a number), got 111111111111',
    ],
    [['match: { accounts: [] }'], 'rule "acme-prod": match.accounts: must list at least one value, got []'],
    [
      ['match: { endpoints: [vpce-12345] }'],
      'rule "acme-prod": match.endpoints[0]: must be an endpoint id (vpce- and 8 to 17 hex digits), got "vpce-12345"',
    ],
    [
      ['match: { endpoints: [vpce-0123456789ABCDEF0] }'],
      'rule "acme-prod": match.endpoints[0]: must be an endpoint id (vpce- and 8 to 17 hex digits), got "vpce-0123456789ABCDEF0"',
    ],
    [
      ['services: [vpce-svc-xyz]'],
      'rule "acme-prod": services[0]: must be an endpoint service id (vpce-svc- and 8 to 17 hex digits), got "vpce-svc-xyz"',
    ],
    [
      ['match: { organizations: [o-short] }'],
      'rule "acme-prod": match.organizations[0]: must be an organization id (o- and 10 to 32 lowercase letters or digits), got "o-short"',
    ],
    [
      ['match: { organizationalUnits: [ou-ab12] }'],
      'rule "acme-prod": match.organizationalUnits[0]: must be an organizational unit id such as ou-ab12-cd34ef56, got "ou-ab12"',
    ],
    [
      ['match: { regions: [us-east] }'],
      'rule "acme-prod": match.regions[0]: must be an AWS region such as us-east-1, got "us-east"',
    ],
    [
      ['match: { regions: [US-EAST-1] }'],
      'rule "acme-prod": match.regions[0]: must be an AWS region such as us-east-1, got "US-EAST-1"',
    ],
    [
      ['match: { ipAddressTypes: [ipv5] }'],
      'rule "acme-prod": match.ipAddressTypes[0]: must be one of ipv4, dualstack, ipv6, got "ipv5"',
    ],
    [
      ['match: { tags: { env: 3 } }'],
      'rule "acme-prod": match.tags.env: must be a string (put it in quotes: YAML reads it as a number), got 3',
    ],
    [
      ['match: { acounts: ["111111111111"] }'],
      'rule "acme-prod": match.acounts: is not a known field (did you mean "accounts"?)',
    ],
    [['colour: red'], 'rule "acme-prod": colour: is not a known field'],
    [['enabled: "no"'], 'rule "acme-prod": enabled: must be true or false, got "no"'],
    [['match: []'], 'rule "acme-prod": match: must be a mapping, got []'],
    [
      ['validFrom: 2026-01-01'],
      'rule "acme-prod": validFrom: must be an ISO-8601 timestamp with a time zone, such as 2026-01-01T00:00:00Z, got "2026-01-01"',
    ],
    [
      ['validFrom: 2026-01-01T00:00:00'],
      'rule "acme-prod": validFrom: must be an ISO-8601 timestamp with a time zone, such as 2026-01-01T00:00:00Z, got "2026-01-01T00:00:00"',
    ],
    [
      ['validFrom: 2027-01-01T00:00:00Z', 'validUntil: 2026-01-01T00:00:00Z'],
      'rule "acme-prod": validUntil: must be after validFrom (2027-01-01T00:00:00Z), got "2026-01-01T00:00:00Z"',
    ],
    [
      ['validFrom: 2026-01-01T00:00:00Z', 'validUntil: 2026-01-01T01:00:00+01:00'],
      'rule "acme-prod": validUntil: must be after validFrom (2026-01-01T00:00:00Z), got "2026-01-01T01:00:00+01:00"',
    ],
    [
      ['limits: { maxEndpointsPerAccount: 0 }'],
      'rule "acme-prod": limits.maxEndpointsPerAccount: must be at least 1, got 0',
    ],
    [
      ['limits: { maxEndpointsPerAccount: 2.5 }'],
      'rule "acme-prod": limits.maxEndpointsPerAccount: must be a whole number, got 2.5',
    ],
    [
      ['pendingTtl: P1M'],
      'rule "acme-prod": pendingTtl: is allowed only on review rules (and in defaults or service settings), this rule\'s effect is accept, got "P1M"',
    ],
  ])('%j', (lines, expected) => {
    expect(problemsOf(ruleFile('accept', ...lines))).toContain(`${FILE}: ${expected}`);
  });

  it('limits on anything but an accept rule', () => {
    for (const effect of ['reject', 'review']) {
      expect(problemsOf(ruleFile(effect, 'limits: { maxEndpointsPerAccount: 3 }'))).toEqual([
        `${FILE}: rule "acme-prod": limits: is allowed only on accept rules, this rule's effect is ${effect}, got {"maxEndpointsPerAccount":3}`,
      ]);
    }
  });

  it('pendingTtl on anything but a review rule; bad durations on review rules', () => {
    expect(problemsOf(ruleFile('reject', 'pendingTtl: P2D'))).toEqual([
      `${FILE}: rule "acme-prod": pendingTtl: is allowed only on review rules (and in defaults or service settings), this rule's effect is reject, got "P2D"`,
    ]);
    expect(problemsOf(ruleFile('review', 'pendingTtl: P2D'))).toEqual([]);
    expect(problemsOf(ruleFile('review', 'pendingTtl: 2 days'))).toEqual([
      `${FILE}: rule "acme-prod": pendingTtl: must be an ISO-8601 duration such as P7D, PT12H or P1DT6H, got "2 days"`,
    ]);
    expect(problemsOf(ruleFile('review', 'pendingTtl: PT0S'))).toEqual([
      `${FILE}: rule "acme-prod": pendingTtl: must be longer than zero, got "PT0S"`,
    ]);
  });

  it('a wrong effect, and every problem of a rule at once', () => {
    expect(
      problemsOf(ruleFile('allow', 'match: { accounts: ["1"] }', 'limits: { maxEndpointsPerAccount: 1 }')),
    ).toEqual([
      `${FILE}: rule "acme-prod": effect: must be one of accept, reject, review, got "allow"`,
      `${FILE}: rule "acme-prod": match.accounts[0]: must be a 12-digit account id, got "1"`,
      `${FILE}: rule "acme-prod": limits: is allowed only on accept rules, this rule's effect is allow, got {"maxEndpointsPerAccount":1}`,
    ]);
  });

  it('rule ids: required, [A-Za-z0-9._-]{1,64}; without a readable id the path says which rule', () => {
    expect(problemsOf('rules:\n  - effect: accept\n')).toEqual([`${FILE}: rules[0].id: is required`]);
    expect(
      problemsOf('rules:\n  - { id: ok, effect: accept }\n  - { id: "acme prod", effect: accept }\n'),
    ).toEqual([
      `${FILE}: rules[1].id: must be 1 to 64 characters of A-Z, a-z, 0-9, ".", "_" or "-", got "acme prod"`,
    ]);
    expect(problemsOf(`rules:\n  - { id: ${'a'.repeat(65)}, effect: accept }\n`)).toHaveLength(1);
    expect(problemsOf(`rules:\n  - { id: A.b_c-9, effect: accept }\n`)).toEqual([]);
  });

  it('duplicate ids within a file and across files, naming both files', () => {
    expect(problemsOf('rules:\n  - { id: a, effect: accept }\n  - { id: a, effect: reject }\n')).toEqual([
      `${FILE}: rule "a": id: is a duplicate: rule "a" is also defined at rules[0] of this file`,
    ]);
    const { problems } = ruleSetFromFiles([
      { path: 'policies/a.yaml', text: 'rules:\n  - { id: acme-prod, effect: accept }\n' },
      { path: 'policies/b.yaml', text: 'rules:\n  - { id: acme-prod, effect: review }\n' },
    ]);
    expect(problems.map(formatProblem)).toEqual([
      'policies/b.yaml: rule "acme-prod": id: is a duplicate: rule "acme-prod" is also defined in policies/a.yaml',
    ]);
  });

  it('defaults and service settings: fields, values, and one definition each', () => {
    expect(problemsOf('defaults: { defaultEffect: allow, mode: on, pendingTtl: P1Y, extra: 1 }')).toEqual([
      `${FILE}: defaults: defaultEffect: must be one of accept, reject, review, got "allow"`,
      `${FILE}: defaults: pendingTtl: must not use years or months, which have no fixed length: use days or weeks, such as P30D, got "P1Y"`,
      `${FILE}: defaults: mode: must be one of enforce, dry-run, off, got "on"`,
      `${FILE}: defaults: extra: is not a known field`,
    ]);
    expect(
      problemsOf(
        'services:\n  vpce-svc-nothex: { mode: off }\n  vpce-svc-0a1b2c3d4e5f67890: { onRevoke: drop }\n',
      ),
    ).toEqual([
      `${FILE}: service "vpce-svc-nothex": is not an endpoint service id (vpce-svc- and 8 to 17 hex digits)`,
      `${FILE}: service "vpce-svc-0a1b2c3d4e5f67890": onRevoke: must be one of notify, reject, got "drop"`,
    ]);
    const { problems } = ruleSetFromFiles([
      {
        path: 'policies/a.yaml',
        text: 'defaults: { defaultEffect: reject }\nservices: { vpce-svc-0a1b2c3d4e5f67890: { mode: off } }',
      },
      {
        path: 'policies/b.yaml',
        text: 'defaults: { defaultEffect: accept }\nservices: { vpce-svc-0a1b2c3d4e5f67890: { mode: enforce } }',
      },
    ]);
    expect(problems.map(formatProblem)).toEqual([
      'policies/b.yaml: defaults: are given twice (also in policies/a.yaml); every service without complete settings of its own is held',
      'policies/b.yaml: service "vpce-svc-0a1b2c3d4e5f67890": settings are given twice (also in policies/a.yaml); the service is held',
    ]);
  });

  it('file structure: YAML errors with their line, unknown sections, wrong section types', () => {
    const [yamlError] = ruleSetFromFiles([
      { path: FILE, text: 'rules:\n  - id: a\n    effect: [accept\n' },
    ]).problems;
    expect(yamlError?.message).toMatch(/^is not valid YAML: /);
    expect(yamlError?.line).toBeGreaterThan(0);
    expect(
      problemsOf('rules:\n  - { id: a, effect: accept }\n  - { id: b, effect: accept, id: c }\n')[0],
    ).toMatch(/is not valid YAML: Map keys must be unique/);
    expect(problemsOf('rule:\n  - { id: a, effect: accept }\n')).toEqual([
      `${FILE}: rule: is not a section of a rule file (defaults, services, rules); did you mean "rules"?`,
    ]);
    expect(problemsOf('rules: { id: a }\n')).toEqual([
      `${FILE}: rules: must be a list of rules, got {"id":"a"}`,
    ]);
    expect(problemsOf('- id: a\n')).toEqual([
      `${FILE}: must be a mapping with defaults, services and/or rules, got [{"id":"a"}]`,
    ]);
    expect(problemsOf('# nothing yet\n')).toEqual([]);
    expect(problemsOf('defaults:\nservices:\nrules:\n  # - { id: a, effect: accept }\n')).toEqual([]);
  });

  it('reports the line of the offending field', () => {
    const { problems } = ruleSetFromFiles([
      {
        path: FILE,
        text: 'rules:\n  - id: a\n    effect: accept\n    match:\n      accounts:\n        - "111111111111"\n        - "22"\n',
      },
    ]);
    expect(problems.map((problem) => problem.line)).toEqual([7]);
  });

  it('does not read YAML 1.1 timestamps as dates: timestamps stay the strings that were written', () => {
    const { ruleSet, problems } = ruleSetFromFiles([
      { path: FILE, text: ruleFile('accept', 'validFrom: 2026-01-01T00:00:00Z') },
    ]);
    expect(problems).toEqual([]);
    expect(ruleSet.rules[0]?.validFrom).toBe('2026-01-01T00:00:00Z');
  });
});

describe('the rule model accepts', () => {
  it('a rule with every field', () => {
    const rule = {
      id: 'acme-prod',
      effect: 'accept',
      description: 'ACME production',
      enabled: true,
      services: ['vpce-svc-0123456789abcdef0'],
      match: {
        accounts: ['111122223333'],
        endpoints: ['vpce-0abc12345678def90'],
        organizations: ['o-abc123defg'],
        organizationalUnits: ['ou-ab12-cd34ef56'],
        regions: ['us-east-1', 'eu-central-2', 'us-gov-west-1', 'cn-north-1', 'ap-southeast-3'],
        ipAddressTypes: ['ipv4', 'dualstack'],
        tags: { env: 'prod', team: '*' },
      },
      limits: { maxEndpointsPerAccount: 3 },
      validFrom: '2026-01-01T00:00:00Z',
      validUntil: '2027-01-01T00:00:00+02:00',
      meta: { ticket: 'NET-123', owner: 'alice', nested: { any: ['thing'] } },
    };
    expect(RuleSchema.parse(rule)).toEqual(rule);
  });

  it('table items of each kind, and refuses unknown kinds and a defaults item with another id', () => {
    expect(RuleItemSchema.parse({ kind: 'defaults', id: 'defaults', mode: 'dry-run' })).toEqual({
      kind: 'defaults',
      id: 'defaults',
      mode: 'dry-run',
    });
    expect(
      RuleItemSchema.safeParse({ kind: 'service', id: 'vpce-svc-0123456789abcdef0', defaultEffect: 'reject' })
        .success,
    ).toBe(true);
    expect(RuleItemSchema.safeParse({ kind: 'rule', id: 'r', effect: 'reject' }).success).toBe(true);
    expect(RuleItemSchema.safeParse({ kind: 'rules', id: 'r', effect: 'reject' }).success).toBe(false);
    expect(RuleItemSchema.safeParse({ kind: 'defaults', id: 'global' }).success).toBe(false);
    expect(DefaultsSchema.safeParse({}).success).toBe(true);
    expect(ServiceSettingsSchema.safeParse({ pendingTtl: 'PT36H' }).success).toBe(true);
  });
});

describe('schema.json', () => {
  it('is what `npm run schema` generates from the rule model (run it after changing the schema)', () => {
    const onDisk = readFileSync(new URL('../../../policies/schema.json', import.meta.url), 'utf8');
    expect(onDisk).toBe(schemaText());
  });

  it('carries the cross-field checks editors can express', () => {
    const text = schemaText();
    expect(text).toContain('"maxEndpointsPerAccount"');
    expect(JSON.parse(text).properties.rules.items.allOf).toHaveLength(2);
  });
});

describe('validation never throws (property)', () => {
  const jsonish = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom(
        'accept',
        'reject',
        'review',
        'P7D',
        '2026-01-01T00:00:00Z',
        '111111111111',
        'vpce-svc-0123456789abcdef0',
      ),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(
        fc.constantFrom(
          'id',
          'effect',
          'match',
          'accounts',
          'limits',
          'validFrom',
          'validUntil',
          'pendingTtl',
          'services',
          'tags',
          'rules',
          'defaults',
          'x',
        ),
        tie('value'),
        { maxKeys: 5 },
      ),
    ),
  })).value;

  it('schemas return their own validation result for any input', () => {
    fc.assert(
      fc.property(jsonish, (value) => {
        for (const schema of [RuleFileSchema, RuleSchema, RuleItemSchema, DefaultsSchema]) {
          const result = schema.safeParse(value);
          expect(typeof result.success).toBe('boolean');
        }
      }),
    );
  });

  it('rule files of any content load into problems, never an exception', () => {
    fc.assert(
      fc.property(jsonish, (value) => {
        const { problems } = ruleSetFromFiles([{ path: FILE, text: JSON.stringify({ rules: [value] }) }]);
        for (const problem of problems) expect(formatProblem(problem)).toMatch(/^policies\/partners\.yaml: /);
      }),
    );
  });
});
