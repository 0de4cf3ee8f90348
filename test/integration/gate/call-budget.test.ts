/**
 * What the gate costs for one request, counted the way the bench counts it: at the local
 * cloud's edge port, per caller and action (`/_plgate/calls`), every caller but the provider
 * and consumer clients of the test being the gate. One accepted request, warm, from
 * CreateVpcEndpoint to available, including the gate's reaction to the notices its own
 * accept causes (median of three, after one warm-up). Budget (issue 12): EC2 <= 3, DynamoDB <= 6, SNS <= 1, EventBridge <= 2.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPE, EVENT_SOURCE } from '../../../functions/shared/events.ts';
import type { CallCount } from '../../../local/call-counts.ts';
import { PROVIDER_CREDENTIALS } from '../../../local/provider-credentials.ts';
import { eventsFor, PROVIDER_KEY } from '../../support/local-cloud.ts';
import {
  createEndpoint,
  createService,
  type LocalGateWorld,
  outcomesOf,
  settle,
  startLocalGate,
  stateOf,
} from '../../support/local-gate.ts';

const PARTNERS = ['111111111111', '222222222222', '444444444444', '555555555555', '777777777777'];
/** The accounts of the three measured requests (after one warm-up). */
const MEASURED = PARTNERS.slice(1, 4);

let world: LocalGateWorld;
let serviceId: string;

beforeAll(async () => {
  world = await startLocalGate();
  await world.rules.putItems([
    { kind: 'defaults', id: 'defaults', defaultEffect: 'review' },
    { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: PARTNERS } },
  ]);
  await world.rules.bumpVersion();
  serviceId = await createService(world.provider);
  await world.gate.sweepNow();
  await settle(world);
});
afterAll(async () => {
  await world?.stop();
});

/** The test's own callers: the provider's clients (EC2, SNS, events) and the world's stores. */
const TEST_CALLERS = new Set<string>([PROVIDER_KEY, PROVIDER_CREDENTIALS.accessKeyId]);

/** The gate's calls since the last read, per service and in total. */
async function gateCalls(): Promise<{ total: Record<string, number>; byAction: Record<string, number> }> {
  const response = await fetch(`${world.cloud.endpoint}/_plgate/calls?reset=true`);
  const { calls } = (await response.json()) as { calls: CallCount[] };
  const total: Record<string, number> = { ec2: 0, dynamodb: 0, sns: 0, events: 0 };
  const byAction: Record<string, number> = {};
  for (const call of calls) {
    if (TEST_CALLERS.has(call.caller) || /^[0-9]{12}$/.test(call.caller)) continue;
    total[call.service] = (total[call.service] ?? 0) + call.count;
    const key = `${call.service}:${call.action}`;
    byAction[key] = (byAction[key] ?? 0) + call.count;
  }
  return { total, byAction };
}

async function acceptedRequest(account: string): Promise<string> {
  const endpointId = await createEndpoint(world, account, serviceId);
  await settle(world);
  while ((await stateOf(world, serviceId, endpointId)) !== 'available') {
    await world.cloud.settle();
  }
  await settle(world);
  return endpointId;
}

describe('the call budget of one accepted request', () => {
  it('stays within the budget, warm, counting the reaction to its own notices', async () => {
    await acceptedRequest(PARTNERS[0] ?? ''); // warms the functions' environments and caches
    await gateCalls();

    // Median of three, as the bench counts it: each function runs in up to four environments,
    // and a notice that overlaps another starts a new one, cold, whose cache of managed
    // services is empty (one DescribeVpcEndpointServiceConfigurations): a cold start, not
    // what a warm gate pays.
    const samples: { total: Record<string, number>; byAction: Record<string, number> }[] = [];
    for (const account of MEASURED) {
      const endpointId = await acceptedRequest(account);
      const calls = await gateCalls();
      expect((await outcomesOf(world, endpointId)).map((e) => e.outcome)).toEqual(['accepted']);
      expect(calls.byAction['ec2:AcceptVpcEndpointConnections'], JSON.stringify(calls.byAction)).toBe(1);
      samples.push(calls);
    }
    const median = (service: string) =>
      samples.map((s) => s.total[service] ?? 0).sort((a, b) => a - b)[1] ?? Number.NaN;
    const seen = JSON.stringify(samples.map((s) => s.byAction));
    expect(median('ec2'), seen).toBeLessThanOrEqual(3);
    expect(median('sns'), seen).toBeLessThanOrEqual(1);
    expect(median('events'), seen).toBeLessThanOrEqual(2);
    // Measured 6: the rules version (GetItem), the endpoint's lease with its state (UpdateItem,
    // ALL_NEW), the intent (UpdateItem), entry + final intent + notice claim (one
    // TransactWriteItems), notice mark + intent clear + lease release (UpdateItem), and
    // ingest's read of the endpoint's state to recognise the Accept notice as its own (BatchGetItem).
    expect(median('dynamodb'), seen).toBeLessThanOrEqual(6);
  });
});

describe('the decide queue', () => {
  it('dead-letters a malformed connection event after its last receive, and decides the good ones beside it', async () => {
    const events = eventsFor(world.cloud);
    try {
      const endpointId = await createEndpoint(world, PARTNERS[4] ?? '', serviceId);
      await events.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: world.gate.config.gateBusName,
              Source: EVENT_SOURCE,
              DetailType: DETAIL_TYPE.connectionEvent,
              Detail: JSON.stringify({ serviceId: 'vpce-svc-NOT-AN-ID', trigger: 'notification' }),
            },
          ],
        }),
      );
      while (world.gate.decideDeadLetters().length === 0) await world.cloud.settle();
      expect(world.gate.decideDeadLetters()).toHaveLength(1);
      expect(world.gate.decideDeadLetters()[0]).toContain('vpce-svc-NOT-AN-ID');
      expect(await stateOf(world, serviceId, endpointId)).toBe('available');
    } finally {
      events.destroy();
    }
  });
});

describe('the call budget of a sweep', () => {
  it('warm, costs EC2 one listing of the services, one of their notifications and one of their connections, and no write', async () => {
    for (let i = 0; i < 4; i += 1) await createService(world.provider);
    // The first sweep enrolls the new services; the second is the steady state.
    await world.gate.sweepNow();
    await settle(world);
    await gateCalls();
    await world.gate.sweepNow();
    const { byAction } = await gateCalls();
    expect(byAction).toEqual({
      'ec2:DescribeVpcEndpointServiceConfigurations': 1,
      'ec2:DescribeVpcEndpointConnectionNotifications': 1,
      'ec2:DescribeVpcEndpointConnections': 1,
      // The rules version once per service; the states of the one service's connections. No
      // enrollment lease (it was two UpdateItem per service and sweep).
      'dynamodb:GetItem': 5,
      'dynamodb:BatchGetItem': 1,
    });
  });
});
