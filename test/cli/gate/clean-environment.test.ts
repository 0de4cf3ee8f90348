/**
 * The operator's commands as a user runs them against `plgate local`: the binary gets
 * AWS_ENDPOINT_URL and nothing else — no credentials, no region, no table names, and empty
 * AWS config files, so nothing from this machine's AWS setup can leak in. Also the rule
 * shapes a pull must write back exactly (tags "*", windows, durations, meta), and what a
 * push does with an invalid item someone left in the table.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LedgerEntry } from '../../../functions/gate/ports.ts';
import {
  createEndpoint,
  createService,
  type LocalGateWorld,
  settle,
  startLocalGate,
} from '../../support/local-gate.ts';
import { type PlgateRun, plgate as runPlgate } from '../run-plgate.ts';
import { plgateInProcessWith } from '../run-plgate-in-process.ts';

// The point here is the process and its environment: each test starts the binary several
// times, which under a full suite on two shared cores can outlast the default 30 s.
vi.setConfig({ testTimeout: 120_000 });

const scratch = mkdtempSync(join(tmpdir(), 'plgate-clean-env-'));

let world: LocalGateWorld;
let serviceId: string;

/** A clean environment: what a user's shell would have after `export AWS_ENDPOINT_URL=…`. */
function cleanEnv(): NodeJS.ProcessEnv {
  const home = join(scratch, 'home');
  mkdirSync(join(home, '.aws'), { recursive: true });
  const empty = join(scratch, 'empty-aws-file');
  writeFileSync(empty, '');
  return {
    PATH: process.env.PATH,
    HOME: home,
    AWS_ENDPOINT_URL: world.cloud.endpoint,
    AWS_CONFIG_FILE: empty,
    AWS_SHARED_CREDENTIALS_FILE: empty,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** The real binary in that environment: a process with nothing of this machine's AWS settings. */
const plgateBinary = (args: readonly string[]): Promise<PlgateRun> => runPlgate(args, { env: cleanEnv() });
/** The same program in this process, with the same environment, where the process is not the point. */
const plgate = (args: readonly string[]): Promise<PlgateRun> =>
  plgateInProcessWith(args, { env: cleanEnv() });

const json = <T>(text: string): T => JSON.parse(text) as T;

const tableRules = async () =>
  (await world.rules.items())
    .filter((item) => item.kind !== 'meta')
    .sort((a, b) => `${String(a.kind)}/${String(a.id)}`.localeCompare(`${String(b.kind)}/${String(b.id)}`));

/** Every shape a rule file can hold, written the way people write YAML (flow maps, quoted ids, comments). */
const RICH_RULES = `# defaults and one service's settings
defaults:
  defaultEffect: review
  pendingTtl: P7D
  onRevoke: notify
  mode: enforce
services:
  vpce-svc-0123456789abcdef0: { defaultEffect: reject, pendingTtl: PT36H, onRevoke: reject, mode: dry-run }
rules:
  - id: team.tags_any-value
    effect: accept
    description: 'tags: env=prod and any team — "quoted" & unicode ✓'
    match:
      tags: { env: prod, team: "*", "app:tier": "" }
      ipAddressTypes: [ipv4, dualstack]
    meta: { ticket: NET-7, owners: [alice, bob], weight: 2.5, urgent: false, nested: { a: 1, b: null } }
  - id: pilot-window
    effect: accept
    enabled: false
    services: [vpce-svc-0123456789abcdef0]
    match: { accounts: ["011122223333"], regions: [us-east-1, eu-west-1] }
    limits: { maxEndpointsPerAccount: 3 }
    validFrom: 2026-01-01T00:00:00Z
    validUntil: 2027-01-01T00:00:00+02:00
  - id: slow-review
    effect: review
    match: { organizations: [o-abcdefghij], organizationalUnits: [ou-ab12-cd34ef56] }
    pendingTtl: P1DT12H
  - id: block-endpoint
    effect: reject
    match: { endpoints: [vpce-0abcdef0123456789] }
`;

beforeAll(async () => {
  world = await startLocalGate();
  serviceId = await createService(world.provider);
  await settle(world);
});

afterAll(async () => {
  await world?.stop();
});

describe('with nothing but AWS_ENDPOINT_URL', () => {
  it('finds the local gate, acts as the provider, and reads and writes its tables', async () => {
    const stranger = await createEndpoint(world, '333333333333', serviceId);
    await settle(world);

    const history = await plgateBinary(['history', stranger, '--json']);
    expect(history.stderr).toBe('');
    expect(history.code).toBe(0);
    const entries = json<LedgerEntry[]>(history.stdout);
    expect(entries.map((e) => [e.outcome, e.decision, e.trigger, e.rule])).toEqual([
      ['held', 'review', 'notification', null],
    ]);

    const listed = await plgate(['connections', '--json']);
    expect(listed.code).toBe(0);
    expect(json<{ endpointId: string }[]>(listed.stdout).map((c) => c.endpointId)).toEqual([stranger]);

    const approved = await plgate(['approve', stranger, '--reason', 'clean env']);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`${stranger}: accepted`);
    // The approval is an operator's decision about this endpoint, with who and why.
    const approval = (await world.rules.items()).find(
      (item) => item.kind === 'approval' && item.id === stranger,
    );
    expect(approval).toMatchObject({
      actor: expect.stringMatching(/^arn:aws:iam::000000000000:/),
      reason: 'clean env',
    });
  });

  it('approve writes nothing when a reject rule matches: reject wins, it says which, exit 1', async () => {
    const blocked = await createEndpoint(world, '555555555555', serviceId);
    await settle(world);
    await world.rules.putItems([
      { kind: 'rule', id: 'block-555', effect: 'reject', match: { accounts: ['555555555555'] } },
    ]);
    await settle(world);
    const approved = await plgate(['approve', blocked]);
    expect(approved.code).toBe(1);
    expect(`${approved.stdout}${approved.stderr}`).toMatch(/block-555/);
    expect((await world.rules.items()).some((item) => item.kind === 'approval' && item.id === blocked)).toBe(
      false,
    );
    await world.rules.deleteItems([{ kind: 'rule', id: 'block-555' }]);
    await settle(world);
  });

  it('explain says what a nearly matching rule saw, and shows the invalid item that holds the request', async () => {
    const waiting = await createEndpoint(world, '444444444444', serviceId);
    await world.rules.putItems([
      {
        kind: 'rule',
        id: 'eu-only',
        effect: 'accept',
        match: { accounts: ['444444444444'], regions: ['eu-west-1'] },
      },
      { kind: 'rule', id: 'broken-block', effect: 'reject', match: { accounts: ['4444'] } },
    ]);
    await settle(world);

    const explained = await plgate(['explain', waiting]);
    expect([explained.code, explained.stderr]).toEqual([0, '']);
    expect(explained.stdout).toMatch(
      /eu-only\s+accept\s+nearly \(no-match\)\s+accounts holds, regions does not hold \(region us-east-1 is not listed \(eu-west-1\)\)/,
    );
    expect(explained.stdout).toMatch(
      /broken-block\s+reject\s+invalid\s+invalid item, undetermined: holds requests for review: match\.accounts\[0\]/,
    );
    const parsed = json<{
      record: { decision: string; undetermined: string[] };
      rules: {
        id: string;
        verdict: string;
        conditions: { condition: string; holds: unknown; detail: string }[];
      }[];
    }>((await plgate(['explain', waiting, '--json'])).stdout);
    expect(parsed.record).toMatchObject({ decision: 'review', undetermined: ['broken-block'] });
    expect(parsed.rules.find((r) => r.id === 'eu-only')?.conditions).toEqual([
      { condition: 'accounts', holds: true, detail: 'account 444444444444 is listed' },
      { condition: 'regions', holds: false, detail: 'region us-east-1 is not listed (eu-west-1)' },
    ]);

    await world.rules.deleteItems([
      { kind: 'rule', id: 'eu-only' },
      { kind: 'rule', id: 'broken-block' },
    ]);
    await settle(world);
  });
});

describe('policy pull writes back exactly what the table holds', () => {
  it('push, pull, push again: no change, every field and meta value kept', async () => {
    const source = join(scratch, 'rich');
    mkdirSync(source);
    writeFileSync(join(source, 'rules.yaml'), RICH_RULES);

    const pushed = await plgate(['policy', 'push', source, '--force']);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    await settle(world);
    const before = await tableRules();
    expect(before.find((item) => item.id === 'team.tags_any-value')).toMatchObject({
      match: { tags: { env: 'prod', team: '*', 'app:tier': '' } },
      meta: { owners: ['alice', 'bob'], weight: 2.5, urgent: false, nested: { a: 1, b: null } },
    });

    const pulledDir = join(scratch, 'pulled-rich');
    const pulled = await plgate(['policy', 'pull', pulledDir]);
    expect([pulled.code, pulled.stderr]).toEqual([0, '']);
    const validated = await plgate(['policy', 'validate', pulledDir]);
    expect(validated.code).toBe(0);
    const rulesYaml = readFileSync(join(pulledDir, 'rules.yaml'), 'utf8');
    expect(rulesYaml).toContain('"011122223333"');

    const again = await plgate(['policy', 'push', pulledDir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/no differences/);
    for (const dir of [source, pulledDir]) {
      // Nothing to write: what diff lists is only what push keeps (the table's approvals).
      const diff = await plgate(['policy', 'diff', dir, '--json']);
      expect([dir, diff.code]).toEqual([dir, 0]);
      expect(json<{ kind: string }[]>(diff.stdout).filter((change) => change.kind !== 'kept')).toEqual([]);
    }
    await settle(world);
    expect(await tableRules()).toEqual(before);
  });

  it('a push never deletes an invalid item someone left in the table (it holds requests until fixed)', async () => {
    // A block rule with a typo: invalid, so the gate holds for review what it might have
    // rejected (an undetermined reject rule). Deleting it would let those through.
    await world.rules.putItems([
      { kind: 'rule', id: 'block-typo', effect: 'reject', match: { accounts: ['12345'] } },
    ]);
    await settle(world);
    const dir = join(scratch, 'with-invalid');
    const pulled = await plgate(['policy', 'pull', dir]);
    expect(pulled.stderr).toMatch(/block-typo/);

    // What the files do not mention is kept (only --prune removes it), even with --force.
    const pushed = await plgate(['policy', 'push', dir, '--force']);
    expect(pushed.code).toBe(0);
    expect((await world.rules.items()).some((item) => item.id === 'block-typo')).toBe(true);
    await world.rules.deleteItems([{ kind: 'rule', id: 'block-typo' }]);
    await settle(world);
  });
});
