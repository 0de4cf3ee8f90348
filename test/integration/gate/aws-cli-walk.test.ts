/**
 * `plgate local --rules policies` as a user runs it (the real binary), with the AWS CLI
 * (an independent client) playing the provider and the consumers: requests are accepted,
 * rejected, held, expired and revoked as the rules in policies/ say.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCKED, PARTNER, SECOND_PARTNER, STRANGER } from '../../support/accounts.ts';
import { awsCliVersion, createEndpointWithCli, runAws } from '../../support/aws-cli.ts';
import { type PlgateLocalProcess, startPlgateLocal } from '../../support/plgate-local-process.ts';

const NLB = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/walk/0123456789abcdef';

const cli = awsCliVersion();
if (!cli && process.env.CI === 'true')
  throw new Error('the AWS CLI (aws) is required on CI and is not installed');
if (!cli) console.warn('SKIPPING the AWS CLI walk: `aws` is not installed');

let local: PlgateLocalProcess | undefined;
let endpoint = '';

const provider = (args: string[]) => runAws({ endpoint, accessKeyId: 'provider' }, args);
const createEndpoint = (account: string, serviceId: string) =>
  createEndpointWithCli({ endpoint, accessKeyId: account }, serviceId);

beforeAll(async () => {
  if (!cli) return;
  local = await startPlgateLocal([
    '--rules',
    'policies',
    '--sweep-interval',
    '1s',
    '--accept-delay',
    '100ms',
  ]);
  endpoint = local.endpoint;
  // plgate local synthesizes and deploys the stack before it listens (see startPlgateLocal).
}, 150_000);

afterAll(async () => {
  await local?.stop();
});

interface Connection {
  VpcEndpointId: string;
  VpcEndpointOwner: string;
  VpcEndpointState: string;
}

async function connections(serviceId: string): Promise<Connection[]> {
  const out = (await provider([
    'ec2',
    'describe-vpc-endpoint-connections',
    '--filters',
    `Name=service-id,Values=${serviceId}`,
  ])) as { VpcEndpointConnections: Connection[] };
  return out.VpcEndpointConnections;
}

/** What plgate local prints when the gate takes the endpoint to the state (its notice's title). */
const NOTICE_OF: Record<string, string> = {
  available: 'Accepted',
  rejected: '(Rejected|Expired and rejected|Revoked)',
};

/**
 * Waits for the gate's notice of the decision in plgate local's output (the event), then
 * asks EC2 through the AWS CLI until the endpoint is in the state (an accept takes the
 * cloud's accept delay to become available); returns how long that took.
 */
async function until(serviceId: string, endpointId: string, state: string): Promise<number> {
  const start = Date.now();
  const title = NOTICE_OF[state];
  if (title) await local?.waitFor(new RegExp(`${title}: ${endpointId}`));
  let last = '';
  for (let asked = 0; asked < 20; asked += 1) {
    last =
      (await connections(serviceId)).find((c) => c.VpcEndpointId === endpointId)?.VpcEndpointState ??
      'absent';
    if (last === state) return Date.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${endpointId} stayed ${last}, expected ${state}\n${local?.output().slice(-2000)}`);
}

/** The deployed gate's names, as a user finds them: its stack's outputs. */
async function stackOutputs(): Promise<Record<string, string>> {
  const out = (await provider(['cloudformation', 'describe-stacks', '--stack-name', 'PrivateLinkGate'])) as {
    Stacks: { Outputs?: { OutputKey: string; OutputValue: string }[] }[];
  };
  return Object.fromEntries((out.Stacks[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
}

describe.runIf(cli)('the AWS CLI against plgate local --rules policies', () => {
  it('sees requests accepted, rejected, held, expired and revoked as the rules say', async () => {
    const { RulesTableName: rulesTable, LedgerTableName: ledgerTable } = await stackOutputs();
    if (!rulesTable || !ledgerTable)
      throw new Error('the PrivateLinkGate stack names no rules or ledger table');
    // The provider creates a managed service and lets everyone ask.
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
    // Its settings, edited in the table as an operator would: a short review, revoke by rejecting.
    await provider([
      'dynamodb',
      'put-item',
      '--table-name',
      rulesTable,
      '--item',
      JSON.stringify({
        kind: { S: 'service' },
        id: { S: serviceId },
        pendingTtl: { S: 'PT3S' },
        onRevoke: { S: 'reject' },
      }),
    ]);
    // The sweep enrolls it: a connection notification to the gate's ingest topic.
    const start = Date.now();
    for (;;) {
      const out = (await provider([
        'ec2',
        'describe-vpc-endpoint-connection-notifications',
        '--filters',
        `Name=service-id,Values=${serviceId}`,
      ])) as { ConnectionNotificationSet: unknown[] };
      if (out.ConnectionNotificationSet.length === 1) break;
      if (Date.now() - start > 20_000) throw new Error('the service was never enrolled');
      // The sweep enrolls it, once a second.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }

    const partner = await createEndpoint(PARTNER, serviceId);
    const blocked = await createEndpoint(BLOCKED, serviceId);
    const stranger = await createEndpoint(STRANGER, serviceId);
    const leaving = await createEndpoint(SECOND_PARTNER, serviceId);

    const took = {
      accepted: await until(serviceId, partner, 'available'),
      rejected: await until(serviceId, blocked, 'rejected'),
      second: await until(serviceId, leaving, 'available'),
    };
    // The stranger waits in review (the ledger below shows it held), then expires.
    const expired = await until(serviceId, stranger, 'rejected');

    // An operator ends the second partner's access with a rule written into the table.
    await provider([
      'dynamodb',
      'put-item',
      '--table-name',
      rulesTable,
      '--item',
      JSON.stringify({
        kind: { S: 'rule' },
        id: { S: 'offboard-222222222222' },
        effect: { S: 'reject' },
        match: { M: { accounts: { L: [{ S: SECOND_PARTNER }] } } },
      }),
    ]);
    const revoked = await until(serviceId, leaving, 'rejected');

    // The ledger says why, readable with any DynamoDB client.
    const ledger = (await provider([
      'dynamodb',
      'query',
      '--table-name',
      ledgerTable,
      '--key-condition-expression',
      'endpointId = :e AND begins_with(sk, :p)',
      '--expression-attribute-values',
      JSON.stringify({ ':e': { S: stranger }, ':p': { S: 'entry#' } }),
    ])) as { Items: { outcome: { S: string } }[] };
    expect(ledger.Items.map((item) => item.outcome.S)).toEqual(['held', 'expired']);
    console.info('AWS CLI walk: ms from request to state', { ...took, expired, revoked });
    // About 30 AWS CLI processes at up to a second each on a busy 2-core machine.
  }, 120_000);
});
