import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionRecord } from '../../functions/core/decision-record.ts';
import { plgateInProcessWith as plgate } from './run-plgate-in-process.ts';

const CLI_FIXTURE = 'test/events/ec2-describe-vpc-endpoint-connections.cli.json';
const SERVICE = 'vpce-svc-0123456789abcdef0';

function connection(account: string, endpoint: string, extra: Record<string, unknown> = {}) {
  return {
    ServiceId: SERVICE,
    VpcEndpointId: endpoint,
    VpcEndpointOwner: account,
    VpcEndpointState: 'pendingAcceptance',
    CreationTimestamp: '2026-11-20T09:15:42.318000+00:00',
    Tags: [],
    VpcEndpointRegion: 'us-east-1',
    IpAddressType: 'ipv4',
    ...extra,
  };
}

function records(stdout: string): DecisionRecord[] {
  const parsed: unknown = JSON.parse(stdout);
  if (!Array.isArray(parsed)) throw new Error('expected a JSON array');
  return parsed;
}

/** The environment without a region: what the service's region is must come from elsewhere. */
function withoutRegion(): NodeJS.ProcessEnv {
  const { AWS_REGION: _region, AWS_DEFAULT_REGION: _defaultRegion, ...rest } = process.env;
  return rest;
}

const decisions = (stdout: string) =>
  records(stdout).map((record) => [record.account, record.decision, record.rule]);

describe('plgate evaluate', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'plgate-evaluate-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('judges a whole describe-vpc-endpoint-connections output against policies/ (JSON)', async () => {
    // The service's region (AWS_REGION) is what crossRegion rules compare the endpoint's with.
    const run = await plgate(
      [
        'evaluate',
        '--rules',
        'policies',
        '--connection',
        CLI_FIXTURE,
        '--json',
        '--now',
        '2026-11-21T00:00:00Z',
      ],
      { env: { ...process.env, AWS_REGION: 'us-east-1' } },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(decisions(run.stdout)).toEqual([
      ['111111111111', 'accept', 'partner-acme'],
      ['666666666666', 'reject', 'block-known-abuser'],
      ['123456789012', 'review', null],
    ]);
    const [, blocked, stranger] = records(run.stdout);
    expect(blocked?.reasons[0]).toBe('rejected by reject rule "block-known-abuser"');
    // The second connection is cross-region on the payments service: review matched too, reject wins.
    expect(blocked?.matched).toEqual(['block-known-abuser', 'payments-cross-region-review']);
    expect(stranger).toMatchObject({ default: true, reasons: ['no rule decided: the defaults say review'] });
  });

  it('reads one connection, or a list, from stdin with --connection -', async () => {
    const one = await plgate(['evaluate', '--rules', 'policies', '--connection', '-', '--json'], {
      input: JSON.stringify(connection('222222222222', 'vpce-0b7a3c9d1e2f40516')),
    });
    expect(one.code).toBe(0);
    expect(decisions(one.stdout)).toEqual([['222222222222', 'accept', 'partner-globex']]);

    const list = await plgate(['evaluate', '--rules', 'policies', '--connection', '-', '--json'], {
      input: JSON.stringify([
        connection('333333333333', 'vpce-0b7a3c9d1e2f40516'),
        connection('666666666666', 'vpce-07c6d5e4f3a2b1908'),
      ]),
    });
    expect(decisions(list.stdout)).toEqual([
      ['333333333333', 'review', null],
      ['666666666666', 'reject', 'block-known-abuser'],
    ]);
  });

  it('prints a table for people', async () => {
    const run = await plgate([
      'evaluate',
      '--rules',
      'policies',
      '--connection',
      CLI_FIXTURE,
      '--now',
      '2026-11-21T00:00:00Z',
    ]);
    expect(run.code).toBe(0);
    for (const text of [
      'endpoint',
      'decision',
      'vpce-0b7a3c9d1e2f40516',
      'accept',
      'partner-acme',
      'reject',
      'block-known-abuser',
      '(default)',
    ]) {
      expect(run.stdout).toContain(text);
    }
  });

  it('--context supplies live endpoint counts and organization paths; --now moves validity windows', async () => {
    const file = join(dir, 'connections.json');
    writeFileSync(
      file,
      JSON.stringify({
        VpcEndpointConnections: [
          connection('444444444444', 'vpce-0b7a3c9d1e2f40516'),
          connection('555555555555', 'vpce-07c6d5e4f3a2b1908'),
        ],
      }),
    );
    const contextFile = join(dir, 'context.json');
    const writeContext = (live: number) =>
      writeFileSync(
        contextFile,
        JSON.stringify({
          organizations: { '444444444444': { organizationId: 'o-a1b2c3d4e5', ouIds: ['ou-ab12-cd34ef56'] } },
          liveEndpoints: { [SERVICE]: { '444444444444': live } },
        }),
      );

    writeContext(1);
    const below = await plgate([
      'evaluate',
      '--rules',
      'policies',
      '--connection',
      file,
      '--context',
      contextFile,
      '--json',
      '--now',
      '2027-02-01T00:00:00Z',
    ]);
    expect(below.stderr).toBe('');
    expect(decisions(below.stdout)).toEqual([
      ['444444444444', 'accept', 'partner-initech'],
      ['555555555555', 'accept', 'pilot-contoso'],
    ]);

    writeContext(2);
    const reached = await plgate([
      'evaluate',
      '--rules',
      'policies',
      '--connection',
      file,
      '--context',
      contextFile,
      '--json',
      '--now',
      '2027-07-01T00:00:00Z',
    ]);
    expect(decisions(reached.stdout)).toEqual([
      ['444444444444', 'review', null],
      ['555555555555', 'review', null],
    ]);
    expect(records(reached.stdout)[0]?.reasons).toContain(
      'rule "partner-initech" (accept) did not match: limit reached: 2 of 2 endpoints of account 444444444444 on this service',
    );

    // Without a context the count is unknown: never accepted on missing data.
    const unknown = await plgate([
      'evaluate',
      '--rules',
      'policies',
      '--connection',
      file,
      '--json',
      '--now',
      '2027-02-01T00:00:00Z',
    ]);
    expect(decisions(unknown.stdout)[0]).toEqual(['444444444444', 'review', null]);
  });

  it('rules with problems: exit 1, every problem listed, nothing evaluated', async () => {
    const rules = join(dir, 'bad-rules.yaml');
    writeFileSync(
      rules,
      'rules:\n  - id: acme-prod\n    effect: accept\n    match: { accounts: ["1111"] }\n',
    );
    const run = await plgate(['evaluate', '--rules', rules, '--connection', CLI_FIXTURE]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `${rules}: rule "acme-prod": match.accounts[0]: must be a 12-digit account id, got "1111" (line 4)\n` +
        'plgate: the rules have 1 problem; nothing was evaluated\n',
    );
  });

  it('a connection or context it cannot read: exit 1 naming the item and field', async () => {
    const bad = await plgate(['evaluate', '--rules', 'policies', '--connection', '-'], {
      input: JSON.stringify({
        VpcEndpointConnections: [
          connection('111111111111', 'vpce-0b7a3c9d1e2f40516'),
          connection('12', 'vpce-07c6d5e4f3a2b1908'),
        ],
      }),
    });
    expect(bad).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'plgate: stdin: VpcEndpointConnections[1].VpcEndpointOwner: must be a 12-digit account id, got "12"\n' +
        'plgate: the connections have 1 problem; nothing was evaluated (see policies/README.md for an example connection)\n',
    });

    const notJson = await plgate(['evaluate', '--rules', 'policies', '--connection', '-'], {
      input: '{"VpcEndpointConnections": [',
    });
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/^plgate: stdin: is not valid JSON: /);

    const contextFile = join(dir, 'bad-context.json');
    writeFileSync(
      contextFile,
      JSON.stringify({ liveEndpoints: { [SERVICE]: { '444444444444': -1 } }, organisations: {} }),
    );
    const badContext = await plgate([
      'evaluate',
      '--rules',
      'policies',
      '--connection',
      CLI_FIXTURE,
      '--context',
      contextFile,
    ]);
    expect(badContext.code).toBe(1);
    expect(badContext.stderr).toBe(
      `plgate: ${contextFile}: liveEndpoints.${SERVICE}["444444444444"]: must not be negative, got -1\n` +
        `plgate: ${contextFile}: organisations: is not a known field (did you mean "organizations"?)\n`,
    );
  });

  it('a hand-written connection: every missing or invalid field in one run, each as a plgate: error', async () => {
    const file = join(dir, 'hand-written.json');
    writeFileSync(
      file,
      JSON.stringify({
        ServiceId: 'payments',
        VpcEndpointState: 'waiting',
        Tags: [{ Key: 'env', Value: 'prod' }, { Value: 'x' }],
        VpcEndpointRegion: 'Ireland',
      }),
    );
    const run = await plgate(['evaluate', '--rules', 'policies', '--connection', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')).toEqual([
      `plgate: ${file}: ServiceId: must be an endpoint service id (vpce-svc-…), got "payments"`,
      `plgate: ${file}: VpcEndpointId: is required (an endpoint id (vpce-…)), got nothing`,
      `plgate: ${file}: VpcEndpointOwner: is required (a 12-digit account id), got nothing`,
      `plgate: ${file}: VpcEndpointState: must be one of ${'pendingAcceptance, pending, available, rejected, expired, failed, deleting, deleted, partial'}, got "waiting"`,
      `plgate: ${file}: CreationTimestamp: is required, got nothing`,
      `plgate: ${file}: Tags[1].Key: must be a non-empty string, got nothing`,
      `plgate: ${file}: VpcEndpointRegion: must be an AWS region such as us-east-1, got "Ireland"`,
      'plgate: the connections have 7 problems; nothing was evaluated (see policies/README.md for an example connection)',
      '',
    ]);
  });

  it("the example connection in policies/README.md evaluates as it says: crossRegion from its load balancers' region", async () => {
    const readme = readFileSync('policies/README.md', 'utf8');
    const example = /a partner asking from another region:\n\n```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    // No AWS_REGION: the service's region comes from the connection's load balancer ARN.
    const run = await plgate(['evaluate', '--rules', 'policies', '--connection', '-', '--json'], {
      input: example ?? '',
      env: withoutRegion(),
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(records(run.stdout)).toMatchObject([
      { account: '111111111111', decision: 'review', rule: 'payments-cross-region-review', undetermined: [] },
    ]);
  });

  it("crossRegion without the service's region: says to give it with --context, and takes it from there", async () => {
    const asked = connection('111111111111', 'vpce-0b7a3c9d1e2f40516', {
      ServiceId: 'vpce-svc-0a1b2c3d4e5f67890',
      VpcEndpointRegion: 'eu-west-1',
    });
    const unknown = await plgate(['evaluate', '--rules', 'policies', '--connection', '-', '--json'], {
      input: JSON.stringify(asked),
      env: withoutRegion(),
    });
    expect(unknown.code).toBe(0);
    expect(records(unknown.stdout)).toMatchObject([
      { decision: 'review', undetermined: ['payments-cross-region-review'] },
    ]);
    expect(unknown.stderr).toBe(
      `plgate: the service's region is unknown, so crossRegion in rule "payments-cross-region-review" is undetermined: give it with --context FILE holding {"serviceRegion": "us-east-1"} (or set AWS_REGION)\n`,
    );

    const contextFile = join(dir, 'region.json');
    writeFileSync(contextFile, JSON.stringify({ serviceRegion: 'eu-west-1' }));
    const given = await plgate(
      ['evaluate', '--rules', 'policies', '--connection', '-', '--json', '--context', contextFile],
      { input: JSON.stringify(asked), env: withoutRegion() },
    );
    expect([given.code, given.stderr]).toEqual([0, '']);
    // Same region as the service: the partner is accepted.
    expect(decisions(given.stdout)).toEqual([['111111111111', 'accept', 'partner-acme']]);
  });

  it('usage errors exit 2: bad --now, missing options, unreadable files', async () => {
    const now = await plgate([
      'evaluate',
      '--rules',
      'policies',
      '--connection',
      CLI_FIXTURE,
      '--now',
      'tomorrow',
    ]);
    expect(now).toMatchObject({ code: 2, stdout: '' });
    expect(now.stderr).toContain('--now must be an ISO-8601 timestamp with a zone');

    const noRules = await plgate(['evaluate', '--connection', CLI_FIXTURE]);
    expect(noRules.code).toBe(2);
    expect(noRules.stderr).toContain("required option '--rules <path>' not specified");

    const missing = await plgate(['evaluate', '--rules', 'policies', '--connection', join(dir, 'nope.json')]);
    expect(missing).toMatchObject({
      code: 2,
      stderr: `plgate: --connection: cannot read ${join(dir, 'nope.json')}: ENOENT\n`,
    });
  });
});
