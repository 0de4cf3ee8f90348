import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GateConfigError, LOG_RETENTION_DAYS, loadGateConfig, parseGateConfig } from '../../infra/config.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'plgate-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const writeJson = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const errorOf = (run: () => unknown): GateConfigError => {
  try {
    run();
  } catch (error) {
    if (error instanceof GateConfigError) return error;
    throw error;
  }
  throw new Error('expected a GateConfigError');
};

describe('parseGateConfig', () => {
  it('fills every default from nothing', () => {
    expect(parseGateConfig(undefined)).toEqual({
      stackName: 'PrivateLinkGate',
      sweepRate: 5,
      logRetentionDays: 90,
      ledgerRetentionDays: 400,
      emailSubscriptions: [],
      extraSubscriberArns: [],
      organizationsLookup: false,
      sdkTracing: false,
      registerApi: true,
    });
  });

  it('keeps a complete, valid config', () => {
    const config = {
      stackName: 'Gate-Prod',
      sweepRate: 15,
      logRetentionDays: 365,
      ledgerRetentionDays: 730,
      emailSubscriptions: ['netops@example.com'],
      slack: { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' },
      extraSubscriberArns: [
        'arn:aws:sqs:eu-west-1:111122223333:decisions',
        'arn:aws:lambda:eu-west-1:111122223333:function:audit:live',
      ],
      organizationsLookup: true,
      sdkTracing: true,
      alarmEmail: 'oncall@example.com',
      decideReservedConcurrency: 10,
      registerApi: false,
    };
    expect(parseGateConfig(config)).toEqual(config);
  });

  it.each([
    [{ sweepRate: 0 }, 'privatelinkGate.sweepRate: must be at least 1', 'got 0'],
    [{ sweepRate: 2.5 }, 'privatelinkGate.sweepRate: must be a whole number', 'got 2.5'],
    [{ sweepRate: '5' }, 'privatelinkGate.sweepRate: must be a number', 'got "5"'],
    [{ logRetentionDays: 2 }, 'privatelinkGate.logRetentionDays: must be one of 1, 3, 5', 'got 2'],
    [{ stackName: '1gate' }, 'privatelinkGate.stackName: must start with a letter', 'got "1gate"'],
    [
      { emailSubscriptions: ['ok@example.com', 'not-an-email'] },
      'privatelinkGate.emailSubscriptions.1',
      'got "not-an-email"',
    ],
    [
      { slack: { workspaceId: 'workspace', channelId: 'C1' } },
      'privatelinkGate.slack.workspaceId',
      'got "workspace"',
    ],
    [{ slack: { workspaceId: 'T1' } }, 'privatelinkGate.slack.channelId', 'got nothing'],
    [
      { extraSubscriberArns: ['arn:aws:sns:us-east-1:111122223333:topic'] },
      'privatelinkGate.extraSubscriberArns.0: must be the ARN of a standard SQS queue or of a Lambda function',
      'got "arn:aws:sns:us-east-1:111122223333:topic"',
    ],
    [
      { extraSubscriberArns: ['arn:aws:sqs:us-east-1:111122223333:q.fifo'] },
      'extraSubscriberArns.0',
      'q.fifo',
    ],
    [
      { organizationsLookup: 'yes' },
      'privatelinkGate.organizationsLookup: must be true or false',
      'got "yes"',
    ],
    [{ sdkTracing: 'on' }, 'privatelinkGate.sdkTracing: must be true or false', 'got "on"'],
    [{ alarmEmail: 'pager' }, 'privatelinkGate.alarmEmail: must be an e-mail address', 'got "pager"'],
    [
      { decideReservedConcurrency: 0 },
      'privatelinkGate.decideReservedConcurrency: must be at least 1',
      'got 0',
    ],
    [
      {
        fleet: {
          organizationalUnits: ['ou-ab12-cd34ef56'],
          regions: ['us-east-1'],
          organizationId: 'o-abcdef1234',
          stackSetCallAs: 'delegated_admin',
        },
      },
      'privatelinkGate.fleet.stackSetCallAs: must be "SELF" (the hub in the management account) or "DELEGATED_ADMIN"',
      'got "delegated_admin"',
    ],
    [
      {
        fleet: {
          members: [{ account: '111111111111', regions: ['us-east-1'] }],
          stackSetCallAs: 'DELEGATED_ADMIN',
        },
      },
      'privatelinkGate.fleet.stackSetCallAs: applies only with organizationalUnits',
      'got "DELEGATED_ADMIN"',
    ],
    [
      {
        fleet: {
          members: [{ account: '111111111111', regions: ['us-east-1'] }],
          stackSetCallAs: 'SELF',
        },
      },
      'privatelinkGate.fleet.stackSetCallAs: applies only with organizationalUnits',
      'got "SELF"',
    ],
  ])('rejects %j naming the field and the value', (input, field, value) => {
    const error = errorOf(() => parseGateConfig(input));
    expect(error.name).toBe('GateConfigError');
    expect(error.message).toContain(field);
    expect(error.message).toContain(value);
  });

  it('rejects unknown fields, so a typo is not silently ignored', () => {
    expect(errorOf(() => parseGateConfig({ alarmEmial: 'x@example.com' })).message).toContain(
      'privatelinkGate: unknown field(s) "alarmEmial"',
    );
    expect(
      errorOf(() => parseGateConfig({ slack: { workspaceId: 'T1', channelId: 'C1', team: 'x' } })).message,
    ).toContain('privatelinkGate.slack: unknown field(s) "team"');
  });

  it('says which field a typo most likely meant', () => {
    expect(errorOf(() => parseGateConfig({ alarmEmial: 'x@example.com' })).message).toContain(
      'privatelinkGate: unknown field(s) "alarmEmial" (did you mean "alarmEmail"?)',
    );
    expect(
      errorOf(() => parseGateConfig({ slack: { workspaceId: 'T1', chanelId: 'C1' } })).message,
    ).toContain('"chanelId" (did you mean "channelId"?)');
    expect(errorOf(() => parseGateConfig({ colour: 'red' })).message).toContain('unknown field(s) "colour"');
    expect(errorOf(() => parseGateConfig({ colour: 'red' })).message).not.toContain('did you mean');
  });

  it('accepts exactly the whole sweep rates from 1 to 1440 minutes', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10_000, max: 10_000 }), (rate) => {
        const valid = rate >= 1 && rate <= 1440;
        if (valid) expect(parseGateConfig({ sweepRate: rate }).sweepRate).toBe(rate);
        else expect(errorOf(() => parseGateConfig({ sweepRate: rate })).message).toContain(`got ${rate}`);
      }),
    );
  });

  it('accepts exactly the retention periods CloudWatch Logs offers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4000 }), (days) => {
        const valid = (LOG_RETENTION_DAYS as readonly number[]).includes(days);
        if (valid) expect(parseGateConfig({ logRetentionDays: days }).logRetentionDays).toBe(days);
        else
          expect(errorOf(() => parseGateConfig({ logRetentionDays: days })).message).toContain(
            'logRetentionDays',
          );
      }),
      { examples: [[1], [400], [3653], [2]] },
    );
  });
});

describe('parseGateConfig: fleet', () => {
  it('keeps a fleet of listed members and organizational units, with the defaults filled in', () => {
    const fleet = {
      members: [{ account: '111111111111', regions: ['us-east-1', 'eu-west-1'] }],
      organizationalUnits: ['ou-ab12-cd34ef56'],
      regions: ['us-east-1'],
      organizationId: 'o-abcdef1234',
    };
    expect(parseGateConfig({ fleet }).fleet).toEqual({
      ...fleet,
      spokeRoleName: 'plgate-spoke',
      operators: [],
    });
    expect(parseGateConfig({}).fleet).toBeUndefined();
  });

  it('keeps how the StackSet is created, with the units, as given (left out when not)', () => {
    const units = {
      organizationalUnits: ['ou-ab12-cd34ef56'],
      regions: ['us-east-1'],
      organizationId: 'o-abcdef1234',
    };
    expect(parseGateConfig({ fleet: units }).fleet?.stackSetCallAs).toBeUndefined();
    for (const stackSetCallAs of ['SELF', 'DELEGATED_ADMIN'] as const)
      expect(parseGateConfig({ fleet: { ...units, stackSetCallAs } }).fleet?.stackSetCallAs).toBe(
        stackSetCallAs,
      );
  });

  it.each([
    [{ fleet: {} }, 'privatelinkGate.fleet: must list members or organizationalUnits', 'got {}'],
    [
      { fleet: { members: [{ account: '1111', regions: ['us-east-1'] }] } },
      'privatelinkGate.fleet.members.0.account: must be a 12-digit account id',
      'got "1111"',
    ],
    [
      { fleet: { members: [{ account: '111111111111', regions: ['us-east-1', 'us-east-1'] }] } },
      'privatelinkGate.fleet.members.0.regions: must not list a region twice',
      'got ["us-east-1","us-east-1"]',
    ],
    [
      { fleet: { members: [{ account: '111111111111', regions: ['mars-1'] }] } },
      'privatelinkGate.fleet.members.0.regions.0: must be an AWS region',
      'got "mars-1"',
    ],
    [
      {
        fleet: {
          members: [
            { account: '111111111111', regions: ['us-east-1'] },
            { account: '111111111111', regions: ['eu-west-1'] },
          ],
        },
      },
      'privatelinkGate.fleet.members.1.account: is listed twice',
      'got "111111111111"',
    ],
    [
      { fleet: { organizationalUnits: ['ou-ab12-cd34ef56'], organizationId: 'o-abcdef1234' } },
      'privatelinkGate.fleet.regions: is required with organizationalUnits',
      'got nothing',
    ],
    [
      { fleet: { organizationalUnits: ['ou-ab12-cd34ef56'], regions: ['us-east-1'] } },
      'privatelinkGate.fleet.organizationId: is required with organizationalUnits',
      'got nothing',
    ],
    [
      {
        fleet: {
          members: [{ account: '111111111111', regions: ['us-east-1'] }],
          operators: ['arn:aws:iam::111111111111:group/ops'],
        },
      },
      'privatelinkGate.fleet.operators.0: must be an IAM role or user ARN',
      'got "arn:aws:iam::111111111111:group/ops"',
    ],
    [
      { fleet: { organizationalUnits: ['ou-1'] } },
      'privatelinkGate.fleet.organizationalUnits.0: must be an organizational unit id',
      'got "ou-1"',
    ],
    [
      {
        fleet: {
          members: [{ account: '111111111111', regions: ['us-east-1'] }],
          spokeRoleName: 'a'.repeat(41),
        },
      },
      'privatelinkGate.fleet.spokeRoleName: must be 1 to 40 characters',
      `got "${'a'.repeat(41)}"`,
    ],
    [
      { fleet: { members: [{ account: '111111111111', regions: ['us-east-1'] }], externalId: 'x' } },
      'privatelinkGate.fleet.externalId: must be 2 to 1224 characters',
      'got "x"',
    ],
  ])('rejects %j naming the field and the value', (input, field, value) => {
    const error = errorOf(() => parseGateConfig(input));
    expect(error.message).toContain(field);
    expect(error.message).toContain(value);
  });

  it('says which fleet field a typo most likely meant', () => {
    expect(errorOf(() => parseGateConfig({ fleet: { memebrs: [] } })).message).toContain(
      'privatelinkGate.fleet: unknown field(s) "memebrs" (did you mean "members"?)',
    );
    expect(
      errorOf(() =>
        parseGateConfig({ fleet: { members: [{ acount: '111111111111', regions: ['us-east-1'] }] } }),
      ).message,
    ).toContain('privatelinkGate.fleet.members.0: unknown field(s) "acount" (did you mean "account"?)');
  });
});

describe('loadGateConfig', () => {
  it('uses the defaults when there is neither a file nor context', () => {
    expect(loadGateConfig({ filePath: join(dir, 'missing.json') }).stackName).toBe('PrivateLinkGate');
  });

  it('reads infra/config.json and lets context override it field by field', () => {
    const filePath = writeJson(
      'config.json',
      JSON.stringify({ stackName: 'FromFile', sweepRate: 10, alarmEmail: 'a@example.com' }),
    );
    const config = loadGateConfig({ filePath, context: { sweepRate: 20 } });
    expect(config).toMatchObject({ stackName: 'FromFile', sweepRate: 20, alarmEmail: 'a@example.com' });
  });

  it('accepts context as the JSON string `cdk -c privatelinkGate=…` passes', () => {
    expect(loadGateConfig({ context: '{"sweepRate": 30, "organizationsLookup": true}' })).toMatchObject({
      sweepRate: 30,
      organizationsLookup: true,
    });
  });

  it('names the source of bad input', () => {
    expect(errorOf(() => loadGateConfig({ context: '{sweepRate: 30}' })).message).toContain(
      'context privatelinkGate must be a JSON object, got "{sweepRate: 30}"',
    );
    expect(errorOf(() => loadGateConfig({ context: [1] })).message).toContain('must be an object, got [1]');
    const broken = writeJson('broken.json', '{ "sweepRate": ');
    const error = errorOf(() => loadGateConfig({ filePath: broken }));
    expect(error.message).toContain(`cannot read ${broken} as JSON`);
    expect(error.cause).toBeInstanceOf(SyntaxError);
    const list = writeJson('list.json', '[]');
    expect(errorOf(() => loadGateConfig({ filePath: list })).message).toContain(
      'must hold a JSON object, got []',
    );
    const invalid = writeJson('invalid.json', '{ "sweepRate": -1 }');
    expect(errorOf(() => loadGateConfig({ filePath: invalid })).message).toContain(
      'config.sweepRate: must be at least 1 (minutes between sweeps), got -1',
    );
  });
});

describe('the CDK app entry (infra/app.ts)', () => {
  const synthWith = (context: unknown) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'infra/app.ts')], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      // What `cdk synth -c privatelinkGate=…` hands the app; outdir where the CLI would put it.
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ privatelinkGate: context }),
        CDK_OUTDIR: join(dir, 'cdk.out'),
      },
    });

  it('stops on a bad setting with its message, field, value and what was meant, and no stack trace', () => {
    // Act
    const run = synthWith({ sweepRate: 0, alarmEmial: 'oncall@example.com' });
    // Assess
    expect(run.status, run.stderr).not.toBe(0);
    expect(run.stderr).toContain('config.sweepRate: must be at least 1 (minutes between sweeps), got 0');
    expect(run.stderr).toContain('"alarmEmial" (did you mean "alarmEmail"?)');
    expect(run.stderr).not.toMatch(/^ {4}at /m);
    expect(run.stderr).not.toContain('GateConfigError');
  }, 120_000);
});
