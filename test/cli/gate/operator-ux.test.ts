/**
 * The small things a person hits with `plgate` (issue 11, item 6), on a local cloud with the
 * gate running that this test starts: the CLI through main() in this process, `plgate local`
 * and `--version` through the real binary.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateVpcEndpointCommand, DeleteVpcEndpointsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PARTNER, STRANGER } from '../../support/accounts.ts';
import { ec2For } from '../../support/local-cloud.ts';
import {
  createEndpoint,
  createService,
  type LocalGateWorld,
  settle,
  startLocalGate,
  stateOf,
} from '../../support/local-gate.ts';
import { startPlgateLocal } from '../../support/plgate-local-process.ts';
import { plgate, ROOT } from '../run-plgate.ts';
import { plgateInProcess } from '../run-plgate-in-process.ts';

const scratch = mkdtempSync(join(tmpdir(), 'plgate-ux-'));
let world: LocalGateWorld;

beforeAll(async () => {
  world = await startLocalGate('policies');
  // As a user would after `export AWS_ENDPOINT_URL=…`: the CLI finds the gate by its stack.
  vi.stubEnv('AWS_ENDPOINT_URL', world.cloud.endpoint);
});

afterAll(async () => {
  await world?.stop();
});

const json = <T>(text: string): T => JSON.parse(text) as T;

/** A directory holding one rule file. */
function ruleFile(yaml: string): string {
  const dir = mkdtempSync(join(scratch, 'rules-'));
  writeFileSync(join(dir, 'rules.yaml'), yaml);
  return dir;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const OPEN_ACCEPT = 'rules:\n  - id: everyone\n    effect: accept\n';

describe('plgate --version', () => {
  it('prints the package version and exits 0', { timeout: 120_000 }, async () => {
    const { version } = json<{ version: string }>(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const run = await plgate(['--version']);
    expect([run.code, run.stdout]).toEqual([0, `${version}\n`]);
  });
});

describe('policy validate', () => {
  it('--json gives the verdict, the files, the problems and the warnings', async () => {
    const valid = await plgateInProcess(['policy', 'validate', 'policies', '--json']);
    expect(valid.code).toBe(0);
    expect(json(valid.stdout)).toMatchObject({
      valid: true,
      rules: 8,
      problemCount: 0,
      problems: [],
      warnings: [],
    });

    const broken = ruleFile('rules:\n  - id: bad\n    effect: accept\n    match: { accounts: ["1111"] }\n');
    const invalid = await plgateInProcess(['policy', 'validate', broken, '--json']);
    expect(invalid.code).toBe(1);
    const report = json<{ valid: boolean; problemCount: number; problems: { path: string; text: string }[] }>(
      invalid.stdout,
    );
    expect(report).toMatchObject({ valid: false, problemCount: 1 });
    expect(report.problems[0]?.text).toMatch(
      /rule "bad": match\.accounts\[0\]: must be a 12-digit account id/,
    );
  });

  it('counts every problem, also those past the ones it lists', async () => {
    const rules = Array.from(
      { length: 120 },
      (_, i) => `  - id: bad-${i}\n    effect: accept\n    match: { accounts: ["1111"] }\n`,
    );
    const dir = ruleFile(`rules:\n${rules.join('')}`);
    const validated = await plgateInProcess(['policy', 'validate', dir]);
    expect(validated.code).toBe(1);
    expect(validated.stderr).toMatch(
      /and 20 more problems \(the first 100 are listed\)\n120 problems in 1 file\n$/,
    );
    const evaluated = await plgateInProcess([
      'evaluate',
      '--rules',
      dir,
      '--connection',
      'policies/schema.json',
    ]);
    expect(evaluated.code).toBe(1);
    expect(evaluated.stderr).toMatch(/the rules have 120 problems; nothing was evaluated/);
  });

  it('warns of an accept rule without conditions, and still accepts the files', async () => {
    const dir = ruleFile(OPEN_ACCEPT);
    const validated = await plgateInProcess(['policy', 'validate', dir]);
    expect(validated.code).toBe(0);
    expect(validated.stderr).toBe(
      'warning: rule "everyone" has no match conditions: it accepts every connection to every managed service\n',
    );
    const pushed = await plgateInProcess(['policy', 'push', dir, '--dry-run']);
    expect(pushed.stderr).toContain('warning: rule "everyone" has no match conditions');
  });
});

describe('hints', () => {
  it('on a refused connection: is plgate local running on that port? (npm start runs it on 4566 only)', async () => {
    const port = await closedPort();
    const endpoint = `http://127.0.0.1:${port}`;
    const run = await plgateInProcess(['connections'], { AWS_ENDPOINT_URL: endpoint });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ECONNREFUSED/);
    expect(run.stderr).toContain(
      `hint: nothing answers at ${endpoint} (AWS_ENDPOINT_URL, port ${port}): is \`plgate local\` running? Start it in another terminal with \`npx plgate local --port ${port}\``,
    );
    expect(run.stderr).not.toContain('npm start');
  });

  it('on a missing region: set AWS_REGION', async () => {
    const run = await plgateInProcess(
      ['history', '--account', PARTNER, '--ledger-table', 'ledger', '--rules-table', 'rules'],
      {
        AWS_ENDPOINT_URL: undefined,
        AWS_REGION: undefined,
        AWS_DEFAULT_REGION: undefined,
        AWS_PROFILE: undefined,
        AWS_CONFIG_FILE: join(scratch, 'no-config'),
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
        DECISIONS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:decisions',
        INGEST_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:ingest',
        GATE_BUS_NAME: 'gate',
      },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'hint: no AWS region: set AWS_REGION (e.g. export AWS_REGION=us-east-1), or use a profile that has one',
    );
  });
});

describe('connections', () => {
  let enforced: string;
  let dryRun: string;
  let waiting: string;
  let trial: string;
  let gone: string;

  beforeAll(async () => {
    enforced = await createService(world.provider);
    dryRun = await createService(world.provider);
    await world.rules.putItems([{ kind: 'service', id: dryRun, mode: 'dry-run' }]);
    await settle(world);
    waiting = await createEndpoint(world, STRANGER, enforced);
    gone = await createEndpoint(world, PARTNER, enforced);
    trial = await createEndpoint(world, PARTNER, dryRun);
    await settle(world);
    const consumer = ec2For(world.cloud, PARTNER);
    await consumer.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [gone] }));
    consumer.destroy();
    await settle(world);
    // deleting, then deleted after the cloud's delete delay.
    while ((await stateOf(world, enforced, gone)) !== 'deleted') await settle(world);
  });

  it("shows each service's mode, and deleted endpoints only with --all", async () => {
    type Row = { endpointId: string; mode: string; state: string };
    const listed = json<Row[]>((await plgateInProcess(['connections', '--json'])).stdout);
    const byId = new Map(listed.map((r) => [r.endpointId, r]));
    expect(byId.get(waiting)?.mode).toBe('enforce');
    expect(byId.get(trial)?.mode).toBe('dry-run');
    expect(byId.has(gone)).toBe(false);

    const all = json<Row[]>((await plgateInProcess(['connections', '--all', '--json'])).stdout);
    expect(all.find((r) => r.endpointId === gone)?.state).toBe('deleted');
    const asked = json<Row[]>(
      (await plgateInProcess(['connections', '--state', 'deleted', '--json'])).stdout,
    );
    expect(asked.map((r) => r.endpointId)).toContain(gone);

    const table = (await plgateInProcess(['connections'])).stdout;
    expect(table).toMatch(/endpoint\s+service\s+mode\s+account\s+state/);
    expect(table).toMatch(new RegExp(`${trial}\\s+${dryRun}\\s+dry-run\\s+${PARTNER}\\s+pendingAcceptance`));
    expect(table).toMatch(/accept \(dry-run\)/);
    expect(table).not.toContain(gone);
  });

  it('fits its tables to the terminal, wrapping text and never cutting an id', async () => {
    // Wide enough for the ids and states side by side, too narrow for the reasons on one line.
    const columns = 150;
    for (const args of [['connections'], ['history', '--service', enforced]]) {
      const wide = (await plgateInProcess(args, { COLUMNS: undefined })).stdout;
      expect(Math.max(...wide.split('\n').map((l) => l.length))).toBeGreaterThan(columns);
      const narrow = (await plgateInProcess(args, { COLUMNS: String(columns) })).stdout;
      expect(
        narrow.split('\n').filter((l) => l.length > columns),
        narrow,
      ).toEqual([]);
      expect(narrow).toContain(waiting);
      expect(narrow.split('\n').length).toBeGreaterThan(wide.split('\n').length);
    }
  });
});

describe('plgate local', () => {
  it('prints each decision as it happens, and warns of an open accept rule', {
    // plgate local synthesizes and deploys the stack before it listens (see startPlgateLocal).
    timeout: 180_000,
  }, async () => {
    const local = await startPlgateLocal([
      '--rules',
      ruleFile(OPEN_ACCEPT),
      '--accept-delay',
      '100ms',
      '--sweep-interval',
      '1s',
    ]);
    const client = (accessKeyId: string) =>
      new EC2Client({
        endpoint: local.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId, secretAccessKey: 'x' },
      });
    const provider = client('test');
    const consumer = client(STRANGER);
    try {
      await local.waitFor(/warning: rule "everyone" has no match conditions/);
      const service = await createService(provider);
      const created = await consumer.send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Interface',
          VpcId: 'vpc-0123456789abcdef0',
          SubnetIds: ['subnet-0123456789abcdef0'],
          ServiceName: `com.amazonaws.vpce.us-east-1.${service}`,
        }),
      );
      const endpoint = created.VpcEndpoint?.VpcEndpointId ?? '';
      expect(endpoint).toMatch(/^vpce-/);
      // No demo: the decision still shows in plgate local's own terminal.
      await local.waitFor(new RegExp(`Accepted: ${endpoint}`));
    } finally {
      provider.destroy();
      consumer.destroy();
      expect(await local.stop()).toBe(0);
    }
  });
});
