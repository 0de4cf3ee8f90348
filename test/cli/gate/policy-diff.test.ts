/**
 * `plgate policy diff` previews `plgate policy push`: after the demo (service settings, a
 * rule and an approval written only in the table), it shows the plan push shows, line for
 * line, with and without --prune, and exits 0 exactly when push would write nothing. The
 * CLI runs in this process against a local cloud with the gate that this test starts.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_CAST, runDemo } from '../../../local/demo.ts';
import { type LocalGateWorld, settle, startLocalGate } from '../../support/local-gate.ts';
import { plgateInProcess } from '../run-plgate-in-process.ts';

const SLOW = { timeout: 300_000 };

let world: LocalGateWorld;
let approvalKey: string;
/** What the demo printed. */
const printed: string[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'plgate-diff-'));
/** What a run printed: diff and push --dry-run print the same plan (their exit codes say different things). */
const shown = ({ stdout, stderr }: { stdout: string; stderr: string }) => ({ stdout, stderr });
const tableKeys = async () =>
  (await world.rules.items())
    .filter((i) => i.kind !== 'meta')
    .map((i) => `${String(i.kind)}/${String(i.id)}`)
    .sort();

beforeAll(async () => {
  world = await startLocalGate('policies');
  // As a user would after `export AWS_ENDPOINT_URL=…`: the CLI finds the gate by its stack.
  vi.stubEnv('AWS_ENDPOINT_URL', world.cloud.endpoint);
  await runDemo(world.cloud, world.gate, {
    port: 0,
    host: '127.0.0.1',
    account: '000000000000',
    region: world.cloud.region,
    rulesDir: 'policies',
    sweepIntervalMs: 3_600_000,
    acceptDelayMs: 100,
    deleteDelayMs: 100,
    demo: true,
    once: true,
    log: () => {},
    print: (line) => printed.push(line),
  });
  await settle(world);
  const approvals = (await world.rules.items()).filter((item) => item.kind === 'approval');
  expect(approvals).toHaveLength(1);
  approvalKey = `approval/${String(approvals[0]?.id)}`;
}, 300_000);

afterAll(async () => {
  await world?.stop();
});

describe('the demo with --once', () => {
  it('ends saying the cloud stops, not with commands against a cloud about to be gone', () => {
    const last = printed.at(-1) ?? '';
    expect(last).toContain('The local cloud stops now (--once)');
    expect(last).not.toContain('AWS_ENDPOINT_URL=');
  });
});

describe('policy diff after the demo', () => {
  it(
    'keeps the table-only items without --prune: the plan push shows, exit 0, and push writes nothing',
    SLOW,
    async () => {
      const before = await tableKeys();
      const diff = await plgateInProcess(['policy', 'diff', 'policies']);
      const dryRun = await plgateInProcess(['policy', 'push', 'policies', '--dry-run']);
      expect(shown(diff)).toEqual(shown(dryRun));
      expect(diff.code).toBe(0);
      const kept = diff.stdout
        .split('\n')
        .filter((line) => line.startsWith('= '))
        .map((line) => line.split(' ')[1]);
      // The demo's settings of its two services, its rule and its approval (payments-api.yaml sets the third).
      const demoServices = before.filter(
        (key) => key.startsWith('service/') && key !== 'service/vpce-svc-0a1b2c3d4e5f67890',
      );
      expect(demoServices).toHaveLength(2);
      expect(kept).toEqual([approvalKey, `rule/offboard-${DEMO_CAST.secondPartner}`, ...demoServices].sort());
      expect(diff.stdout).not.toMatch(/^[-+~] /m);
      expect(diff.stdout).toContain('no differences to write');

      const pushed = await plgateInProcess(['policy', 'push', 'policies']);
      expect([pushed.code, pushed.stdout]).toEqual([0, diff.stdout]);
      expect(await tableKeys()).toEqual(before);

      const json = await plgateInProcess(['policy', 'diff', 'policies', '--json']);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual(
        JSON.parse((await plgateInProcess(['policy', 'push', 'policies', '--dry-run', '--json'])).stdout),
      );
    },
  );

  it(
    '--prune shows the removals push --prune would make, with their consequences, and exits 1',
    SLOW,
    async () => {
      const diff = await plgateInProcess(['policy', 'diff', 'policies', '--prune']);
      const dryRun = await plgateInProcess(['policy', 'push', 'policies', '--prune', '--dry-run']);
      expect(shown(diff)).toEqual(shown(dryRun));
      expect(diff.code).toBe(1);
      expect(diff.stdout).toContain(`- ${approvalKey}`);
      expect(diff.stdout).toContain(`- rule/offboard-${DEMO_CAST.secondPartner}`);
      // Without its dry-run setting the second service would accept the partner waiting there.
      expect(diff.stdout).toMatch(/^- service\/vpce-svc-[0-9a-f]+ {2}\(now: accept 1\)$/m);
      expect(diff.stdout).not.toMatch(/^= /m);
      // A directory never pulled: push would refuse to prune without --force, and diff says so.
      expect(diff.stderr).toMatch(/^plgate: this push would be refused: .*pull first, or push with --force/);
    },
  );

  it(
    'shows a changed field, then nothing once push has written it; push --prune leaves nothing to show',
    SLOW,
    async () => {
      const dir = join(scratch, 'edited');
      cpSync('policies', dir, { recursive: true });
      const partners = join(dir, 'partners.yaml');
      const text = readFileSync(partners, 'utf8');
      const edited = text.replace(
        'description: ACME Corp production and staging accounts',
        'description: ACME',
      );
      expect(edited).not.toBe(text);
      writeFileSync(partners, edited);

      const diff = await plgateInProcess(['policy', 'diff', dir]);
      expect(shown(diff)).toEqual(shown(await plgateInProcess(['policy', 'push', dir, '--dry-run'])));
      expect([diff.code, diff.stderr]).toEqual([1, '']);
      expect(diff.stdout).toMatch(/^~ rule\/partner-acme {2}\(no connection changes fate\)$/m);
      expect(diff.stdout).toContain('    description:');
      expect(diff.stdout).toContain(`= ${approvalKey} (kept: not in the files)`);

      expect((await plgateInProcess(['policy', 'push', dir])).code).toBe(0);
      await settle(world);
      expect((await plgateInProcess(['policy', 'diff', dir])).code).toBe(0);

      expect((await plgateInProcess(['policy', 'push', dir, '--prune', '--force'])).code).toBe(0);
      await settle(world);
      const after = await plgateInProcess(['policy', 'diff', dir, '--prune']);
      expect([after.code, after.stdout]).toEqual([0, 'no differences: the table holds what the files say\n']);
      expect(await tableKeys()).not.toContain(approvalKey);
    },
  );
});
