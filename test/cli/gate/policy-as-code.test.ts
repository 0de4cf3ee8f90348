/**
 * `policy push` and `pull` keep people's work, through the real binary against a local
 * cloud this test starts: a push shows what each change would do to the connections there
 * are now, never deletes what the files do not mention unless --prune, and --dry-run writes
 * nothing; a pull edits the files in place, keeping comments and layout, and writes nothing
 * when nothing changed.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HELD, PARTNER } from '../../support/accounts.ts';
import {
  createEndpoint,
  createService,
  type LocalGateWorld,
  settle,
  startLocalGate,
  stateOf,
} from '../../support/local-gate.ts';
import { plgateInProcess as plgate } from '../run-plgate-in-process.ts';

const SLOW = { timeout: 300_000 };
const NEWCOMER = '333333333333';

const MAIN = `# Our PrivateLink policy.
defaults:
  defaultEffect: review # hold what no rule knows
  pendingTtl: P7D

rules:
  # Partners, by contract.
  - id: partner
    effect: accept
    description: partner accounts
    match: { accounts: ["${PARTNER}"] }
`;

let world: LocalGateWorld;
let serviceId: string;
let newcomer: string;
let held: string;
const dir = mkdtempSync(join(tmpdir(), 'plgate-policy-'));
const tableKeys = async () =>
  (await world.rules.items())
    .filter((i) => i.kind !== 'meta')
    .map((i) => `${String(i.kind)}/${String(i.id)}`)
    .sort();

beforeAll(async () => {
  world = await startLocalGate();
  // As a user would after `export AWS_ENDPOINT_URL=…`: the CLI finds the gate by its stack.
  vi.stubEnv('AWS_ENDPOINT_URL', world.cloud.endpoint);
  writeFileSync(join(dir, 'main.yaml'), MAIN);
  const pushed = await plgate(['policy', 'push', dir]);
  if (pushed.code !== 0) throw new Error(`first push failed: ${pushed.stderr}`);
  serviceId = await createService(world.provider);
  await settle(world);
  newcomer = await createEndpoint(world, NEWCOMER, serviceId);
  held = await createEndpoint(world, HELD, serviceId);
  await settle(world);
  // People's work in the table: an approval, a service's settings, a rule written there.
  await world.rules.putItems([
    {
      kind: 'approval',
      id: held,
      serviceId,
      account: HELD,
      actor: 'arn:aws:iam::000000000000:user/alice',
      at: '2026-12-01T00:00:00Z',
    },
    { kind: 'service', id: 'vpce-svc-0fedcba9876543210', mode: 'dry-run' },
    { kind: 'rule', id: 'hotfix', effect: 'reject', match: { accounts: ['999999999999'] } },
  ]);
  await settle(world);
}, 600_000);

afterAll(async () => {
  await world?.stop();
});

describe('push', () => {
  it('shows each change with its consequences now; --dry-run writes nothing', SLOW, async () => {
    writeFileSync(
      join(dir, 'main.yaml'),
      `${MAIN}  - id: newcomer
    effect: accept
    match: { accounts: ["${NEWCOMER}"] }
`,
    );
    const before = await tableKeys();
    const planned = await plgate(['policy', 'push', dir, '--dry-run', '--json']);
    expect([planned.code, planned.stderr]).toEqual([0, '']);
    const plan = JSON.parse(planned.stdout) as { key: string; kind: string; consequences?: object }[];
    expect(plan.map((c) => [c.key, c.kind])).toEqual([
      [`approval/${held}`, 'kept'],
      ['rule/hotfix', 'kept'],
      ['rule/newcomer', 'added'],
      ['service/vpce-svc-0fedcba9876543210', 'kept'],
    ]);
    expect(plan.find((c) => c.key === 'rule/newcomer')?.consequences).toEqual({
      accept: 1,
      reject: 0,
      revoke: 0,
      drift: 0,
      hold: 0,
    });
    expect(await tableKeys()).toEqual(before);
    expect(await stateOf(world, serviceId, newcomer)).toBe('pendingAcceptance');
  });

  it('writes the change and keeps what the files do not mention', SLOW, async () => {
    const pushed = await plgate(['policy', 'push', dir]);
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toMatch(/\+ rule\/newcomer {2}\(now: accept 1\)/);
    expect(pushed.stdout).toMatch(/= rule\/hotfix \(kept: not in the files\)/);
    expect(pushed.stdout).toMatch(/1 added, 0 changed, 0 removed, 3 kept/);
    expect(await tableKeys()).toEqual(
      expect.arrayContaining([`approval/${held}`, 'rule/hotfix', 'service/vpce-svc-0fedcba9876543210']),
    );
    await settle(world);
    expect(await stateOf(world, serviceId, newcomer)).toMatch(/^(pending|available)$/);
  });
});

describe('pull', () => {
  it(
    'updates the files in place, keeping comments, adding new items to a file named for their kind',
    SLOW,
    async () => {
      await world.rules.putItems([
        {
          kind: 'rule',
          id: 'partner',
          effect: 'accept',
          description: 'partners',
          match: { accounts: [PARTNER] },
        },
      ]);
      await settle(world);
      const pulled = await plgate(['policy', 'pull', dir]);
      expect([pulled.code, pulled.stderr]).toEqual([0, '']);
      const main = readFileSync(join(dir, 'main.yaml'), 'utf8');
      expect(main).toBe(
        MAIN.replace('description: partner accounts', 'description: partners') +
          `  - id: newcomer
    effect: accept
    match: { accounts: ["${NEWCOMER}"] }
`,
      );
      const rules = readFileSync(join(dir, 'rules.yaml'), 'utf8');
      expect(rules).toMatch(/- id: hotfix\n\s+effect: reject/);
      expect(readFileSync(join(dir, 'services.yaml'), 'utf8')).toMatch(
        /vpce-svc-0fedcba9876543210:\n\s+mode: dry-run/,
      );
      // An approval is a decision about one endpoint, not policy: it stays in the table only.
      const all = readdirSync(dir)
        .filter((name) => name.endsWith('.yaml'))
        .map((name) => readFileSync(join(dir, name), 'utf8'))
        .join('\n');
      expect(all).not.toContain(held);
      for (const id of ['partner', 'newcomer', 'hotfix']) expect(all.split(`id: ${id}\n`).length - 1).toBe(1);
    },
  );

  it('writes nothing when nothing changed, and a push after it finds no difference', SLOW, async () => {
    const before = readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]);
    const pulled = await plgate(['policy', 'pull', dir]);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toMatch(/already holds the rules table .*: nothing written/);
    expect(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')])).toEqual(before);
    // The approval lives only in the table (pull never writes it): diff shows it kept, as push
    // would, and nothing to write.
    const diff = await plgate(['policy', 'diff', dir]);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain(`= approval/${held} (kept: not in the files)`);
    expect(diff.stdout).toContain('no differences to write');
  });
});
