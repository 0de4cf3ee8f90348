import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeVpcEndpointServiceConfigurationsCommand } from '@aws-sdk/client-ec2';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallCount } from '../../../local/call-counts.ts';
import type { LocalCloud } from '../../../local/cloud.ts';
import {
  awsError,
  CONSUMER_A,
  dynamoFor,
  ec2For,
  eventsFor,
  snsFor,
  startTestCloud,
} from '../../support/local-cloud.ts';

let cloud: LocalCloud & { logs: string[] };

beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(async () => {
  await cloud.stop();
});

async function calls(reset = false): Promise<CallCount[]> {
  const response = await fetch(`${cloud.endpoint}/_plgate/calls${reset ? '?reset=true' : ''}`);
  const body = (await response.json()) as { calls: CallCount[] };
  return body.calls;
}

describe('call counts at the edge port', () => {
  it('counts every call per caller, service and action, failed ones too, and starts over on reset', async () => {
    await calls(true);
    const provider = ec2For(cloud, 'gate-decide');
    await provider.send(new DescribeVpcEndpointServiceConfigurationsCommand({}));
    await provider.send(new DescribeVpcEndpointServiceConfigurationsCommand({}));
    await ec2For(cloud, CONSUMER_A).send(new DescribeVpcEndpointServiceConfigurationsCommand({}));
    await dynamoFor(cloud, 'gate-decide').send(new ListTablesCommand({}));
    await snsFor(cloud, 'gate-decide').send(new ListTopicsCommand({}));
    await eventsFor(cloud, 'gate-decide')
      .send(new PutEventsCommand({ Entries: [] }))
      .catch(() => undefined);
    const refused = await awsError(
      ec2For(cloud, 'gate-decide').send(
        new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: ['not-a-service'] }),
      ),
    );
    expect(refused.name).not.toBe('');

    expect(await calls(true)).toEqual([
      { caller: CONSUMER_A, service: 'ec2', action: 'DescribeVpcEndpointServiceConfigurations', count: 1 },
      { caller: 'gate-decide', service: 'dynamodb', action: 'ListTables', count: 1 },
      { caller: 'gate-decide', service: 'ec2', action: 'DescribeVpcEndpointServiceConfigurations', count: 3 },
      { caller: 'gate-decide', service: 'events', action: 'PutEvents', count: 1 },
      { caller: 'gate-decide', service: 'sns', action: 'ListTopics', count: 1 },
    ]);
    expect(await calls()).toEqual([]);
  });

  it('counts an unsigned call as anonymous', async () => {
    await calls(true);
    await fetch(`${cloud.endpoint}/?Action=DescribeVpcEndpointConnections`);
    expect(await calls(true)).toEqual([
      { caller: 'anonymous', service: 'ec2', action: 'DescribeVpcEndpointConnections', count: 1 },
    ]);
  });
});
