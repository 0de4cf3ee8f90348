/**
 * The assembly `npm run synth` makes, deployed and run as a user tries a stack change
 * before `cdk deploy`: `plgate local --stack cdk.out` (the real binary, the bundles as they
 * are), then the AWS CLI and plgate against it by the stack's name: rules pushed, a tagged
 * service, consumers accepted, rejected and held, the held one approved, the ledger read
 * from the table the stack's outputs name.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plgate } from '../../cli/run-plgate.ts';
import { defaultAssembly } from '../../infra/synth.ts';
import { BLOCKED, PARTNER, STRANGER } from '../../support/accounts.ts';
import { awsCliVersion, createEndpointWithCli, runAws } from '../../support/aws-cli.ts';
import { type PlgateLocalProcess, startPlgateLocal } from '../../support/plgate-local-process.ts';

const NLB = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/walk/0123456789abcdef';
const STACK = 'PrivateLinkGate';

const cli = awsCliVersion();
if (!cli && process.env.CI === 'true')
  throw new Error('the AWS CLI (aws) is required on CI and is not installed');
if (!cli) console.warn('SKIPPING the bundled-assembly walk: `aws` is not installed');

let local: PlgateLocalProcess | undefined;
const rulesDir = mkdtempSync(join(tmpdir(), 'plgate-walk-rules-'));

const provider = (args: string[]) =>
  runAws({ endpoint: local?.endpoint ?? '', accessKeyId: 'provider' }, args);
/** plgate as an operator runs it against a deployed stack: by its name, the endpoint from the environment. */
const operator = (args: string[]) =>
  plgate([...args, '--stack', STACK], {
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: local?.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    },
  });

beforeAll(async () => {
  if (!cli) return;
  // The CLI synth (esbuild, cdk-nag) is shared per run with test/infra: the first to ask pays.
  const { outdir } = defaultAssembly();
  local = await startPlgateLocal(['--stack', outdir, '--sweep-interval', '1s', '--accept-delay', '100ms']);
}, 240_000);

afterAll(async () => {
  expect(await local?.stop()).toBe(0);
  rmSync(rulesDir, { recursive: true, force: true });
});

const createEndpoint = (account: string, serviceId: string) =>
  createEndpointWithCli({ endpoint: local?.endpoint ?? '', accessKeyId: account }, serviceId);

async function state(serviceId: string, endpointId: string): Promise<string> {
  const out = (await provider([
    'ec2',
    'describe-vpc-endpoint-connections',
    '--filters',
    `Name=service-id,Values=${serviceId}`,
  ])) as { VpcEndpointConnections: { VpcEndpointId: string; VpcEndpointState: string }[] };
  return out.VpcEndpointConnections.find((c) => c.VpcEndpointId === endpointId)?.VpcEndpointState ?? 'absent';
}

/** Asks until the answer is the expected one (the gate decides on its own time). */
async function until<T>(ask: () => Promise<T>, expected: T, what: string): Promise<void> {
  const start = Date.now();
  let last: T | undefined;
  while (Date.now() - start < 20_000) {
    last = await ask();
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `${what}: ${JSON.stringify(last)}, expected ${JSON.stringify(expected)}\n${local?.output().slice(-3000)}`,
  );
}

describe.runIf(cli)('plgate local --stack with the bundled assembly, through the AWS CLI and plgate', () => {
  it('pushes rules, then accepts, rejects, holds and approves as they say; the ledger reads back', async () => {
    // Rules kept in git, pushed to the stack by its name.
    writeFileSync(
      join(rulesDir, 'rules.yaml'),
      [
        'defaults: { defaultEffect: review, pendingTtl: P7D, onRevoke: notify, mode: enforce }',
        'rules:',
        `  - { id: partner, effect: accept, match: { accounts: ["${PARTNER}"] } }`,
        `  - { id: blocked, effect: reject, match: { accounts: ["${BLOCKED}"] } }`,
        '',
      ].join('\n'),
    );
    const pushed = await operator(['policy', 'push', rulesDir]);
    expect(pushed.code, pushed.stderr).toBe(0);

    // A tagged service: the gate enrolls it (the CloudTrail event, or the next sweep).
    const created = (await provider([
      'ec2',
      'create-vpc-endpoint-service-configuration',
      '--acceptance-required',
      '--network-load-balancer-arns',
      NLB,
      '--tag-specifications',
      'ResourceType=vpc-endpoint-service,Tags=[{Key=privatelink-gate:managed,Value=true}]',
    ])) as { ServiceConfiguration: { ServiceId: string } };
    const serviceId = created.ServiceConfiguration.ServiceId;
    await provider([
      'ec2',
      'modify-vpc-endpoint-service-permissions',
      '--service-id',
      serviceId,
      '--add-allowed-principals',
      '*',
    ]);
    await until(
      async () =>
        (
          (await provider([
            'ec2',
            'describe-vpc-endpoint-connection-notifications',
            '--filters',
            `Name=service-id,Values=${serviceId}`,
          ])) as { ConnectionNotificationSet: unknown[] }
        ).ConnectionNotificationSet.length,
      1,
      'connection notifications of the service',
    );

    const partner = await createEndpoint(PARTNER, serviceId);
    const blocked = await createEndpoint(BLOCKED, serviceId);
    const stranger = await createEndpoint(STRANGER, serviceId);
    await until(() => state(serviceId, partner), 'available', 'the partner');
    await until(() => state(serviceId, blocked), 'rejected', 'the blocked account');
    await local?.waitFor(new RegExp(`Held for review: ${stranger}`));
    expect(await state(serviceId, stranger)).toBe('pendingAcceptance');

    const approved = await operator(['approve', stranger, '--reason', 'signed contract']);
    expect(approved.code, approved.stderr).toBe(0);
    await until(() => state(serviceId, stranger), 'available', 'the approved stranger');

    // The ledger, from the table the stack's outputs name, with any DynamoDB client.
    const stacks = (await provider(['cloudformation', 'describe-stacks', '--stack-name', STACK])) as {
      Stacks: { Outputs: { OutputKey: string; OutputValue: string }[] }[];
    };
    const ledgerTable = stacks.Stacks[0]?.Outputs.find((o) => o.OutputKey === 'LedgerTableName')?.OutputValue;
    expect(ledgerTable).toMatch(/^PrivateLinkGate-TablesLedger/);
    const outcomes = async (endpointId: string) =>
      (
        (await provider([
          'dynamodb',
          'query',
          '--table-name',
          String(ledgerTable),
          '--key-condition-expression',
          'endpointId = :e AND begins_with(sk, :p)',
          '--expression-attribute-values',
          JSON.stringify({ ':e': { S: endpointId }, ':p': { S: 'entry#' } }),
        ])) as { Items: { outcome: { S: string } }[] }
      ).Items.map((item) => item.outcome.S);
    expect(await outcomes(partner)).toEqual(['accepted']);
    expect(await outcomes(blocked)).toEqual(['rejected']);
    expect(await outcomes(stranger)).toEqual(['held', 'accepted']);
    // plgate reads the same ledger by the stack's name.
    const history = await operator(['history', stranger, '--json']);
    expect(history.code, history.stderr).toBe(0);
    const entries = JSON.parse(history.stdout) as { outcome: string; reason?: string }[];
    expect(entries.map((entry) => entry.outcome)).toEqual(['accepted', 'held']);
  }, 180_000);
});
