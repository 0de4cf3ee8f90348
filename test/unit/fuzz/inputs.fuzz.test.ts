/**
 * Fuzzing what the gate reads besides events: EC2 connections, rule-table items and the
 * command line. Each either yields what it promises or its own typed error naming the
 * field; a corrupted rule item never opens the gate.
 */
import type { Command } from 'commander';
import { CommanderError } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endpointIdArgument, positiveInteger } from '../../../cli/arguments.ts';
import { localRunOptions } from '../../../cli/commands/local.ts';
import { parseDuration } from '../../../cli/duration.ts';
import { UsageError } from '../../../cli/exit.ts';
import { buildProgram } from '../../../cli/main.ts';
import {
  type Connection,
  ConnectionParseError,
  parseConnection,
} from '../../../functions/core/connection.ts';
import { evaluate } from '../../../functions/core/evaluate.ts';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-items.ts';
import { hostileValue, mutationOf, type Path } from '../../support/fuzz.ts';
import { LOCAL_FLAGS } from '../../support/local-flags.ts';

const RUNS = { numRuns: 150 };
const SERVICE = 'vpce-svc-0123456789abcdef0';

const validConnection = {
  ServiceId: SERVICE,
  VpcEndpointId: 'vpce-0123456789abcdef0',
  VpcEndpointOwner: '111111111111',
  VpcEndpointState: 'pendingAcceptance',
  CreationTimestamp: '2026-11-21T12:00:00Z',
  VpcEndpointRegion: 'us-east-1',
  IpAddressType: 'ipv4',
  VpcEndpointConnectionId: 'vpce-con-1',
  Tags: [
    { Key: 'env', Value: 'prod' },
    { Key: 'team', Value: 'payments' },
  ],
  NetworkLoadBalancerArns: ['arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/x/1'],
};

/** How ConnectionParseError spells a path: `Tags[0].Key`. */
const fieldOf = (path: Path): string =>
  path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part),
    '',
  );

describe('parseConnection (fuzzed)', () => {
  it('returns a well-formed connection or a ConnectionParseError naming the field it changed (property)', () => {
    fc.assert(
      fc.property(mutationOf(validConnection), ({ path, value }) => {
        let connection: Connection;
        try {
          connection = parseConnection(value);
        } catch (error) {
          expect(error).toBeInstanceOf(ConnectionParseError);
          const field = (error as ConnectionParseError).field;
          const changed = fieldOf(path);
          // The refusal names the changed field, a field inside it, or the object around it.
          if (path.length > 0)
            expect(
              changed.startsWith(field) || field.startsWith(changed) || field === 'VpcEndpointConnection',
            ).toBe(true);
          return;
        }
        expect(connection.serviceId).toMatch(/^vpce-svc-[0-9a-f]{8,17}$/);
        expect(connection.endpointId).toMatch(/^vpce-[0-9a-f]{8,17}$/);
        expect(connection.account).toMatch(/^\d{12}$/);
        expect(Number.isFinite(connection.createdAt.getTime())).toBe(true);
        for (const [key, tag] of Object.entries(connection.tags)) {
          expect(typeof key).toBe('string');
          expect(typeof tag).toBe('string');
        }
      }),
      RUNS,
    );
  });

  it('refuses anything that is not a connection with its own error (property)', () => {
    fc.assert(
      fc.property(hostileValue, (value) => {
        expect(() => parseConnection(value)).toThrow(ConnectionParseError);
      }),
      RUNS,
    );
  });

  it('a tag key like __proto__ is a tag, not a prototype', () => {
    const connection = parseConnection({ ...validConnection, Tags: [{ Key: '__proto__', Value: 'x' }] });
    expect(Object.getPrototypeOf(connection.tags)).toBe(Object.prototype);
    expect(Object.entries(connection.tags)).toEqual([['__proto__', 'x']]);
  });
});

const ITEMS = [
  { kind: 'defaults', id: 'defaults', defaultEffect: 'review', pendingTtl: 'P7D' },
  { kind: 'service', id: SERVICE, defaultEffect: 'review', mode: 'enforce' },
  { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: ['111111111111', '222222222222'] } },
  { kind: 'rule', id: 'block', effect: 'reject', match: { accounts: ['222222222222'] } },
  { kind: 'rule', id: 'staging-review', effect: 'review', match: { tags: { env: 'staging' } } },
];
const TAG_SETS: Record<string, string>[] = [{}, { env: 'staging' }];
const connections: Connection[] = ['111111111111', '222222222222', '333333333333'].flatMap((account, i) =>
  TAG_SETS.map(
    (tags: Record<string, string>, j): Connection => ({
      serviceId: SERVICE,
      endpointId: `vpce-00000000000000${i}${j}`,
      account,
      state: 'pendingAcceptance' as const,
      createdAt: new Date('2026-11-21T12:00:00Z'),
      tags,
      loadBalancerArns: [],
    }),
  ),
);
const context = { now: new Date('2026-11-22T00:00:00Z'), liveEndpoints: 0, serviceRegion: 'us-east-1' };

describe('rule items (fuzzed)', () => {
  const before = ruleSetFromItems(ITEMS).ruleSet;
  const accepted = new Set(
    connections.filter((c) => evaluate(c, context, before).decision === 'accept').map((c) => c.endpointId),
  );

  it('the reference set accepts only the partner without a staging tag', () => {
    expect([...accepted]).toEqual(['vpce-0000000000000000']);
  });

  it('corrupting one field of one item never throws and never adds an accept (property)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: ITEMS.length - 1 })
          .chain((i) => mutationOf(ITEMS[i]).map((m) => ({ i, ...m }))),
        ({ i, value }) => {
          const items = ITEMS.map((item, j) => (j === i ? value : item));
          const { ruleSet, problems } = ruleSetFromItems(items);
          // A change that still validates is an edit (it may well add an accept); only corruption is judged.
          if (problems.length === 0) return;
          for (const connection of connections) {
            const { decision } = evaluate(connection, context, ruleSet);
            if (decision === 'accept') expect(accepted.has(connection.endpointId)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('any list of anything loads into problems, never an exception (property)', () => {
    fc.assert(
      fc.property(fc.array(hostileValue, { maxLength: 6 }), (items) => {
        const { ruleSet, problems } = ruleSetFromItems(items);
        // Every item that is not an object of a known kind is reported, each problem in words.
        const unreadable = items.filter(
          (item) =>
            item === null ||
            typeof item !== 'object' ||
            Array.isArray(item) ||
            !['defaults', 'service', 'rule', 'meta', 'approval', 'denial'].includes(
              String((item as Record<string, unknown>).kind),
            ),
        );
        expect(problems.length).toBeGreaterThanOrEqual(unreadable.length);
        for (const problem of problems) expect(problem.message).not.toBe('');
        for (const connection of connections)
          expect(['accept', 'reject', 'review']).toContain(evaluate(connection, context, ruleSet).decision);
      }),
      RUNS,
    );
  });
});

const FLAG_NAMES: Record<keyof typeof LOCAL_FLAGS, string> = {
  port: '--port',
  host: '--host',
  account: '--account',
  region: '--region',
  sweepInterval: '--sweep-interval',
  acceptDelay: '--accept-delay',
  deleteDelay: '--delete-delay',
};
const argText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '',
    '-1',
    '0',
    '1e9',
    '99999999',
    'NaN',
    '1.5s',
    'P',
    'PT',
    '10x',
    'vpce-',
    '--json',
    '$(id)',
  ),
);

describe('command-line values (fuzzed)', () => {
  it('plgate local: every flag is taken or refused by a UsageError naming it (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(LOCAL_FLAGS) as (keyof typeof LOCAL_FLAGS)[])),
        argText,
        (flag, text) => {
          try {
            localRunOptions({ ...LOCAL_FLAGS, [flag]: text }, () => {});
          } catch (error) {
            expect(error).toBeInstanceOf(UsageError);
            expect((error as UsageError).message).toContain(FLAG_NAMES[flag]);
          }
        },
      ),
      RUNS,
    );
  });

  it('ids, counts and durations are taken only when well-formed (property)', () => {
    fc.assert(
      fc.property(argText, (text) => {
        const outcomes = [
          () => endpointIdArgument(text),
          () => positiveInteger('--limit', text),
          () => parseDuration('--since', text),
        ];
        for (const run of outcomes) {
          try {
            const value = run();
            if (typeof value === 'number') expect(Number.isFinite(value) && value >= 0).toBe(true);
            else expect(value).toMatch(/^vpce-[0-9a-f]{8,17}$/);
          } catch (error) {
            expect(error).toBeInstanceOf(UsageError);
            expect((error as UsageError).message).toMatch(/the endpoint id|--limit|--since/);
          }
        }
      }),
      RUNS,
    );
  });
});

/** The real program with every action replaced: parsing is fuzzed, nothing runs or reaches AWS. */
async function parseOnlyProgram(): Promise<Command> {
  const program = await buildProgram();
  const neuter = (command: Command): void => {
    command.configureOutput({ writeOut: () => {}, writeErr: () => {} });
    command.action(() => {});
    for (const sub of command.commands) neuter(sub);
  };
  for (const sub of program.commands) neuter(sub);
  program.configureOutput({ writeOut: () => {}, writeErr: () => {} });
  return program;
}

describe('the plgate command line (fuzzed)', () => {
  const tokens = fc.oneof(
    fc.constantFrom(
      'policy',
      'validate',
      'push',
      'pull',
      'diff',
      'evaluate',
      'local',
      'connections',
      'approve',
      'deny',
      'explain',
      'history',
      'sweep',
      '--json',
      '--rules',
      '--connection',
      '--limit',
      '--since',
      '--service',
      '--port',
      '--faults',
      '--help',
      '-h',
      '--',
      '-',
      'vpce-0123456789abcdef0',
      '0',
      '-1',
    ),
    fc.string({ maxLength: 12 }),
  );

  it('any argv parses or is refused by commander or a UsageError, never anything else (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(tokens, { maxLength: 6 }), async (argv) => {
        try {
          await (await parseOnlyProgram()).parseAsync(argv, { from: 'user' });
        } catch (error) {
          expect(error instanceof CommanderError || error instanceof UsageError).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
