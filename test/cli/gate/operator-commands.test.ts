/**
 * The operator's commands, run through the CLI's main() in this process, against a local
 * cloud with the gate running that this test starts. The CLI finds it through
 * AWS_ENDPOINT_URL alone (set for this process below), through the outputs of the stack it deployed. The binary's own
 * process (exit status, start-up) is covered in approve-deny.test.ts and the docs walks.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LedgerEntry } from '../../../functions/gate/ports.ts';
import { BLOCKED, PARTNER, STRANGER } from '../../support/accounts.ts';
import {
  createEndpoint,
  createService,
  type LocalGateWorld,
  outcomesOf,
  settle,
  startLocalGate,
  stateOf,
} from '../../support/local-gate.ts';
import { ROOT } from '../run-plgate.ts';
import { plgateInProcess } from '../run-plgate-in-process.ts';

let world: LocalGateWorld;
let serviceId: string;
const scratch = mkdtempSync(join(tmpdir(), 'plgate-ops-'));

beforeAll(async () => {
  world = await startLocalGate();
  // As a user would after `export AWS_ENDPOINT_URL=…`: the CLI finds the gate by its stack.
  vi.stubEnv('AWS_ENDPOINT_URL', world.cloud.endpoint);
});

afterAll(async () => {
  await world?.stop();
});

const json = <T>(text: string): T => JSON.parse(text) as T;

describe('policy as code', () => {
  it('pushes the example rules into an empty table, then finds no difference', async () => {
    const pushed = await plgateInProcess(['policy', 'push', 'policies']);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toMatch(/\+ rule\/partner-acme/);
    expect(pushed.stdout).toMatch(/pushed: 10 added, 0 changed, 0 removed/);
    const diff = await plgateInProcess(['policy', 'diff', 'policies']);
    expect([diff.code, diff.stdout]).toEqual([0, 'no differences: the table holds what the files say\n']);
    await settle(world);
  });

  it('pull then push is an identity', async () => {
    const before = await world.rules.items();
    const dir = join(scratch, 'pulled');
    const pulled = await plgateInProcess(['policy', 'pull', dir]);
    expect(pulled.code).toBe(0);
    expect(readFileSync(join(dir, 'rules.yaml'), 'utf8')).toContain('id: partner-acme');
    const pushed = await plgateInProcess(['policy', 'push', dir]);
    expect([pushed.code, pushed.stdout]).toEqual([0, 'no differences: the table holds what the files say\n']);
    const again = await plgateInProcess(['policy', 'pull', dir, '--json']);
    expect(again.code).toBe(0);
    expect(json(again.stdout)).toMatchObject({ directory: dir, written: [], skipped: [] });
    expect(json<{ version: number }>(again.stdout).version).toBeGreaterThan(0);
    const after = await world.rules.items();
    const rulesOnly = (items: Record<string, unknown>[]) =>
      items.filter((i) => i.kind !== 'meta').sort((a, b) => String(a.id).localeCompare(String(b.id)));
    expect(rulesOnly(after)).toEqual(rulesOnly(before));
  });

  it('refuses to overwrite an edit made in the table since the pull, unless forced', async () => {
    const dir = join(scratch, 'concurrent');
    expect((await plgateInProcess(['policy', 'pull', dir])).code).toBe(0);
    await world.rules.putItems([
      { kind: 'rule', id: 'hotfix', effect: 'reject', match: { accounts: ['999999999999'] } },
    ]);
    await settle(world);
    const file = join(dir, 'rules.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('ACME Corp production and staging accounts', 'ACME Corp'),
    );

    // A dry run of a plan a real push would refuse exits 1 and says why.
    const dryRun = await plgateInProcess(['policy', 'push', dir, '--dry-run', '--json']);
    expect(dryRun.code).toBe(1);
    expect(dryRun.stderr).toMatch(/would be refused: the rules table changed since the pull/);
    expect(json<{ key: string; kind: string }[]>(dryRun.stdout).map((c) => [c.key, c.kind])).toEqual([
      ['rule/hotfix', 'kept'],
      ['rule/partner-acme', 'changed'],
    ]);
    const refused = await plgateInProcess(['policy', 'push', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/changed since the pull/);
    expect((await world.rules.items()).some((i) => i.id === 'hotfix')).toBe(true);

    // --force overwrites what changed; only --prune deletes what the files do not mention.
    const forced = await plgateInProcess(['policy', 'push', dir, '--force']);
    expect(forced.code).toBe(0);
    expect((await world.rules.items()).some((i) => i.id === 'hotfix')).toBe(true);
    const pruned = await plgateInProcess(['policy', 'push', dir, '--force', '--prune']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(/- rule\/hotfix/);
    expect((await world.rules.items()).some((i) => i.id === 'hotfix')).toBe(false);
    await settle(world);
  });

  it('writes nothing when any file is invalid', async () => {
    const dir = join(scratch, 'invalid');
    cpSync(join(ROOT, 'policies'), dir, { recursive: true });
    writeFileSync(
      join(dir, 'broken.yaml'),
      'rules:\n  - id: broken\n    effect: accept\n    match: { accounts: ["1111"] }\n  - id: new-one\n    effect: accept\n    match: {}\n',
    );
    const before = await world.rules.items();
    const pushed = await plgateInProcess(['policy', 'push', dir, '--force']);
    expect(pushed.code).toBe(1);
    expect(pushed.stderr).toMatch(/broken\.yaml: rule "broken": match\.accounts\[0\]/);
    expect(pushed.stderr).toMatch(/nothing was written/);
    expect(await world.rules.items()).toEqual(before);
  });
});

describe('review and records', () => {
  let partner: string;
  let stranger: string;
  let blocked: string;

  beforeAll(async () => {
    // The table holds policies/ again (the tests above restored it with --force).
    serviceId = await createService(world.provider);
    await settle(world);
    partner = await createEndpoint(world, PARTNER, serviceId);
    stranger = await createEndpoint(world, STRANGER, serviceId);
    blocked = await createEndpoint(world, BLOCKED, serviceId);
    await settle(world);
  });

  it('connections shows each connection with the decision the rules give now', async () => {
    const listed = await plgateInProcess(['connections', '--service', serviceId, '--json']);
    expect(listed.code).toBe(0);
    const rows = json<
      { endpointId: string; state: string; decision: { decision: string; rule: string | null } }[]
    >(listed.stdout);
    const byId = new Map(rows.map((r) => [r.endpointId, r]));
    expect(byId.get(partner)?.decision).toMatchObject({ decision: 'accept', rule: 'partner-acme' });
    expect(byId.get(stranger)).toMatchObject({
      state: 'pendingAcceptance',
      decision: { decision: 'review', rule: null },
    });
    expect(byId.get(blocked)?.decision.decision).toBe('reject');

    const table = await plgateInProcess(['connections', '--state', 'pendingAcceptance']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(`${stranger}\\s+${serviceId}\\s+enforce\\s+${STRANGER}\\s+pendingAcceptance`),
    );
    expect(table.stdout).not.toContain(partner);
  });

  it('explain shows the deciding rule and the rules that nearly matched', async () => {
    await world.rules.putItems([
      {
        kind: 'rule',
        id: 'acme-eu-only',
        effect: 'accept',
        match: { accounts: [STRANGER], regions: ['eu-west-1'] },
      },
    ]);
    await settle(world);
    const explained = await plgateInProcess(['explain', stranger]);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain(
      `${stranger} (account ${STRANGER}, pendingAcceptance) on ${serviceId}: review (default)`,
    );
    expect(explained.stdout).toMatch(
      /acme-eu-only\s+accept\s+nearly \(no-match\)\s+accounts holds, regions does not hold/,
    );
    const all = await plgateInProcess(['explain', partner, '--json']);
    const parsed = json<{ record: { rule: string }; rules: { id: string; verdict: string }[] }>(all.stdout);
    expect(parsed.record.rule).toBe('partner-acme');
    expect(parsed.rules.find((r) => r.id === 'partner-acme')?.verdict).toBe('match');
    await world.rules.deleteItems([{ kind: 'rule', id: 'acme-eu-only' }]);
    await settle(world);
  });

  it('explain ranks near misses by how many conditions held, says which failed, and skips a rule whose account does not match', async () => {
    await world.rules.putItems([
      {
        kind: 'rule',
        id: 'a-eu-only',
        effect: 'accept',
        match: { accounts: [STRANGER], regions: ['eu-west-1'] },
      },
      {
        kind: 'rule',
        id: 'b-eu-ipv4',
        effect: 'accept',
        match: { accounts: [STRANGER], ipAddressTypes: ['ipv4'], regions: ['eu-west-1'] },
      },
      // Its limit holds, but its account does not: a plain miss.
      {
        kind: 'rule',
        id: 'c-other-quota',
        effect: 'accept',
        match: { accounts: ['999999999999'] },
        limits: { maxEndpointsPerAccount: 5 },
      },
    ]);
    await settle(world);
    const explained = await plgateInProcess(['explain', stranger]);
    expect(explained.code).toBe(0);
    const lines = explained.stdout.split('\n');
    const at = (id: string) => lines.findIndex((line) => line.startsWith(id));
    expect(at('b-eu-ipv4')).toBeGreaterThan(-1);
    expect(at('b-eu-ipv4')).toBeLessThan(at('a-eu-only'));
    expect(at('c-other-quota')).toBe(-1);
    expect(explained.stdout).toMatch(
      /b-eu-ipv4\s+accept\s+nearly \(no-match\)[\s\S]*2 of 3 conditions held, failed: regions/,
    );
    expect(explained.stdout).toMatch(
      /a-eu-only\s+accept\s+nearly \(no-match\)[\s\S]*1 of 2 conditions held, failed: regions/,
    );
    const parsed = json<{ nearMisses: { id: string; held: number; failed: string[] }[] }>(
      (await plgateInProcess(['explain', stranger, '--json'])).stdout,
    );
    expect(parsed.nearMisses.map((miss) => [miss.id, miss.held, miss.failed])).toEqual([
      ['b-eu-ipv4', 2, ['regions']],
      ['a-eu-only', 1, ['regions']],
    ]);
    await world.rules.deleteItems(
      ['a-eu-only', 'b-eu-ipv4', 'c-other-quota'].map((id) => ({ kind: 'rule', id })),
    );
    await settle(world);
  });

  it('approve accepts a held request at once, and history shows who and why, newest first', async () => {
    const approved = await plgateInProcess(['approve', stranger, '--reason', 'signed contract']);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(new RegExp(`${stranger}: accepted — approved by `));
    expect(await stateOf(world, serviceId, stranger)).toMatch(/pending|available/);

    const history = await plgateInProcess(['history', stranger, '--json']);
    expect(history.code).toBe(0);
    const entries = json<LedgerEntry[]>(history.stdout);
    expect(entries.map((e) => [e.outcome, e.trigger, e.rule, e.reason])).toEqual([
      ['accepted', 'manual', null, 'signed contract'],
      ['held', 'notification', null, undefined],
    ]);
    for (const entry of entries)
      expect(Object.keys(entry)).toEqual(expect.arrayContaining(['at', 'decision', 'reasons']));
    const approval = (await world.rules.items()).find((i) => i.kind === 'approval' && i.id === stranger);
    expect(approval).toMatchObject({ reason: 'signed contract', serviceId });
  });

  it('approve cannot override a reject rule: it names the rule and exits 1; deny rejects', async () => {
    const approved = await plgateInProcess(['approve', blocked]);
    expect(approved.code).toBe(1);
    expect(approved.stderr).toMatch(/reject rule "[^"]+" matches/);

    const other = await createEndpoint(world, '888888888888', serviceId);
    await settle(world);
    const denied = await plgateInProcess(['deny', other, '--reason', 'not a customer', '--json']);
    expect(denied.code).toBe(0);
    expect(json<{ entries: LedgerEntry[] }>(denied.stdout).entries.map((e) => e.outcome)).toEqual([
      'rejected',
    ]);
    expect((await outcomesOf(world, other)).map((e) => e.outcome)).toContain('rejected');
  });

  it('history reads by service and by account, and since', async () => {
    const byService = await plgateInProcess(['history', '--service', serviceId, '--json']);
    const entries = json<LedgerEntry[]>(byService.stdout);
    expect(entries.length).toBeGreaterThanOrEqual(4);
    expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort().reverse());
    const byAccount = await plgateInProcess(['history', '--account', PARTNER, '--since', '1h', '--json']);
    expect(json<LedgerEntry[]>(byAccount.stdout).every((e) => e.account === PARTNER)).toBe(true);
    const table = await plgateInProcess(['history', '--service', serviceId]);
    expect(table.stdout).toMatch(
      /at\s+endpoint\s+account\s+trigger\s+outcome\s+decided by\s+reason\s+reasons/,
    );
  });

  it('sweep runs now and prints what it did', async () => {
    const late = await createEndpoint(world, PARTNER, serviceId);
    const swept = await plgateInProcess(['sweep', '--service', serviceId, '--json']);
    expect(swept.code).toBe(0);
    const report = json<{ services: { serviceId: string; connections: number }[] }>(swept.stdout);
    expect(report.services.map((s) => s.serviceId)).toEqual([serviceId]);
    await settle(world);
    expect((await outcomesOf(world, late)).map((e) => e.outcome)).toEqual(['accepted']);
    const table = await plgateInProcess(['sweep']);
    expect(table.stdout).toMatch(/service\s+mode\s+enrolled\s+connections\s+waiting\s+decisions/);
  });

  it('refuses bad arguments with exit 2, naming the flag and the value', async () => {
    const cases: [string[], RegExp][] = [
      [['history'], /exactly one of/],
      [['history', 'vpce-XYZ'], /endpoint id must look like/],
      [['history', '--service', 'svc-1'], /--service must look like/],
      [['history', stranger, '--since', 'yesterday'], /--since must be a duration/],
      [['connections', '--state', 'sleeping'], /--state must be a connection state/],
      [['approve'], /missing required argument/],
      [['policy', 'push'], /missing required argument/],
    ];
    for (const [args, message] of cases) {
      const run = await plgateInProcess(args);
      expect([args.join(' '), run.code]).toEqual([args.join(' '), 2]);
      expect(run.stderr).toMatch(message);
    }
  });
});
