/**
 * What people read at an 80-column terminal, and the invitation commands' flags, exit codes
 * and durations: the CLI through main() in this process against a local cloud with the gate
 * running that this test starts (found through AWS_ENDPOINT_URL and the deployed stack’s outputs).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PARTNER, STRANGER } from '../../support/accounts.ts';
import {
  createEndpoint,
  createService,
  type LocalGateWorld,
  settle,
  startLocalGate,
} from '../../support/local-gate.ts';
import { inviteAndRegister } from '../../support/registration.ts';
import { plgateInProcess } from '../run-plgate-in-process.ts';

const NARROW = { COLUMNS: '80' };
const CLI_FIXTURE = 'test/events/ec2-describe-vpc-endpoint-connections.cli.json';

let world: LocalGateWorld;
let service: string;
let unmanaged: string;
const endpoints: string[] = [];
const invitations: string[] = [];

const json = <T>(text: string): T => JSON.parse(text) as T;

beforeAll(async () => {
  world = await startLocalGate('policies');
  // As a user would after `export AWS_ENDPOINT_URL=…`: the CLI finds the gate by its stack.
  vi.stubEnv('AWS_ENDPOINT_URL', world.cloud.endpoint);
  service = await createService(world.provider);
  unmanaged = await createService(world.provider, { managed: false });
  await settle(world);
  endpoints.push(
    await createEndpoint(world, PARTNER, service),
    await createEndpoint(world, STRANGER, service),
  );
  expect((await inviteAndRegister(world, service, '191919191919')).status).toBe(200);
  await settle(world);
  for (const args of [['--account', STRANGER], []]) {
    const made = await plgateInProcess(['invite', '--service', service, ...args, '--json']);
    expect(made.code).toBe(0);
    invitations.push(json<{ code: string }>(made.stdout).code.split('.')[0] ?? '');
  }
  const revoked = await plgateInProcess(['invites', 'revoke', invitations[1] ?? '', '--json']);
  expect([revoked.code, json(revoked.stdout)]).toEqual([0, { id: invitations[1], revoked: true }]);
  // Deploying the stack and starting its functions' workers takes most of it on a busy machine.
}, 120_000);

afterAll(async () => {
  await world?.stop();
});

/** Lines longer than `width`; none expected. */
const tooLong = (text: string, width = 80) => text.split('\n').filter((line) => line.length > width);

describe('tables at an 80-column terminal', () => {
  it.each([
    ['connections', () => ['connections', '--all']],
    ['history of a service', () => ['history', '--service', service]],
    ['history of an endpoint', () => ['history', endpoints[0] ?? '']],
    ['invites --all', () => ['invites', '--all']],
    [
      'evaluate',
      () => ['evaluate', '--rules', 'policies', '--connection', CLI_FIXTURE, '--now', '2026-11-21T00:00:00Z'],
    ],
  ])('%s fits 80 columns and shows every id whole', async (_name, args) => {
    const wide = await plgateInProcess(args(), { COLUMNS: undefined });
    expect(wide.code).toBe(0);
    const narrow = await plgateInProcess(args(), NARROW);
    expect(narrow.code).toBe(0);
    expect(tooLong(narrow.stdout), narrow.stdout).toEqual([]);
    const ids = new Set(
      wide.stdout.match(/\b(?:vpce-svc-[0-9a-f]+|vpce-[0-9a-f]+|inv-[0-9a-f]{16}|\d{12})\b/g),
    );
    expect(ids.size).toBeGreaterThan(0);
    for (const id of ids) expect(narrow.stdout).toMatch(new RegExp(`(?<![\\w-])${id}(?![\\w-])`));
    // One style: no borders, a heading in lower case.
    expect(narrow.stdout).not.toMatch(/[│┌─┬┼]/);
    expect(narrow.stdout.split('\n')[0]).toMatch(/^[a-z]/);
  });

  it('connections names the ids the test made, and their services and accounts', async () => {
    const narrow = (await plgateInProcess(['connections'], NARROW)).stdout;
    for (const id of [...endpoints, service, PARTNER, STRANGER]) expect(narrow).toContain(id);
  });

  it('invites --all names each invitation, open and revoked', async () => {
    const narrow = (await plgateInProcess(['invites', '--all'], NARROW)).stdout;
    for (const id of invitations) expect(narrow).toContain(id);
    expect(narrow).toMatch(new RegExp(`${invitations[1]}\\s+${service}\\s+any\\s+revoked`));
  });
});

describe('invite', () => {
  it('takes every duration in both forms, and keeps the accepting time as ISO 8601', async () => {
    for (const [expires, acceptFor, kept] of [
      ['24h', '365d', 'P365D'],
      ['PT24H', 'P365D', 'P365D'],
      ['90m', '36h', 'P1DT12H'],
    ] as const) {
      const before = Date.now();
      const run = await plgateInProcess([
        'invite',
        '--service',
        service,
        '--expires',
        expires,
        '--accept-for',
        acceptFor,
        '--json',
      ]);
      expect([expires, run.code, run.stderr]).toEqual([expires, 0, '']);
      // The register URL is the deployed stack's output, as --stack reads it on AWS.
      expect(json<{ registerUrl: string }>(run.stdout).registerUrl).toBe(world.gate.registerUrl);
      const expiresAt = Date.parse(json<{ expiresAt: string }>(run.stdout).expiresAt);
      const ms = expires === '90m' ? 5_400_000 : 86_400_000;
      expect(expiresAt - before).toBeGreaterThanOrEqual(ms - 1000);
      expect(expiresAt - before).toBeLessThanOrEqual(ms + 60_000);
      const listed = json<{ id: string; acceptFor: string }[]>(
        (await plgateInProcess(['invites', '--json'])).stdout,
      );
      const id = json<{ code: string }>(run.stdout).code.split('.')[0];
      expect(listed.find((i) => i.id === id)?.acceptFor).toBe(kept);
    }
  });

  it('refuses a malformed duration as a usage error naming both forms', async () => {
    for (const [flag, value] of [
      ['--expires', 'tomorrow'],
      ['--accept-for', 'P1Y'],
      ['--expires', '0s'],
    ] as const) {
      const run = await plgateInProcess(['invite', '--service', service, flag, value]);
      expect([flag, value, run.code]).toEqual([flag, value, 2]);
      expect(run.stderr).toContain(flag);
      expect(run.stderr).toContain(value);
    }
    const bad = await plgateInProcess(['invite', '--service', service, '--expires', 'tomorrow']);
    expect(bad.stderr).toContain('500ms, 30s, 5m, 2h, 7d or ISO 8601 (PT30M, P7D)');
  });

  it('refuses a service the gate does not manage: exit 1, naming it', async () => {
    const run = await plgateInProcess(['invite', '--service', unmanaged]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${unmanaged} is not an endpoint service the gate manages`);
    expect(run.stdout).toBe('');
  });

  it('invites --help shows the listing flags and the revoke command', async () => {
    const help = await plgateInProcess(['invites', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--all\s+every invitation/);
    expect(help.stdout).toMatch(/--json/);
    expect(help.stdout).toMatch(/revoke \[options\] <id>/);
  });

  it('invites revoke --json says what it did, and exits 1 when nothing was open', async () => {
    const again = await plgateInProcess(['invites', 'revoke', invitations[1] ?? '', '--json']);
    expect(again.code).toBe(1);
    expect(json(again.stdout)).toEqual({ id: invitations[1], revoked: false });
    expect(again.stderr).toContain('there is no open invitation');
    // Its target flags are its own, after the subcommand.
    const elsewhere = await plgateInProcess([
      'invites',
      'revoke',
      invitations[0] ?? '',
      '--rules-table',
      'no-such-table',
    ]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(/no-such-table|ResourceNotFound|not found/i);
  });
});

describe('sweep --service', () => {
  it('refuses a service the gate does not manage while others are managed: exit 1, naming it', async () => {
    const run = await plgateInProcess(['sweep', '--service', unmanaged]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${unmanaged} is not an endpoint service the gate manages`);
    expect(run.stdout).not.toContain('no managed services');
    const managed = await plgateInProcess(['sweep', '--service', service, '--json']);
    expect(managed.code).toBe(0);
  });
});

describe('history', () => {
  it('--since takes both forms', async () => {
    for (const since of ['7d', 'P7D', '2h', 'PT2H']) {
      const run = await plgateInProcess(['history', '--service', service, '--since', since, '--json']);
      expect([since, run.code]).toEqual([since, 0]);
      expect(json<unknown[]>(run.stdout).length).toBeGreaterThan(0);
    }
  });

  it('the registered notice suggests a history command that works', async () => {
    const notice = (await import('../../support/local-gate.ts'))
      .notices(world)
      .find((n) => n.kind === 'decision' && n.entry.outcome === 'registered');
    expect(notice).toBeDefined();
    const { chatbotNotification } = await import('../../../functions/aws/notice-message.ts');
    const steps = notice ? chatbotNotification(notice).content.nextSteps : [];
    const command = steps.map((s) => /`plgate (history [^`]+)`/.exec(s)?.[1]).find((c) => c !== undefined);
    expect(command).toBe(`history --service ${service}`);
    const run = await plgateInProcess([...(command ?? '').split(' '), '--json']);
    expect(run.code).toBe(0);
    expect(json<{ outcome: string }[]>(run.stdout).some((e) => e.outcome === 'registered')).toBe(true);
  });
});
