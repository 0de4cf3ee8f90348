/**
 * Any input costs bounded work: EC2 Query parsing is linear, filters and sizes are
 * capped at AWS's limits with AWS's errors (seen through the real SDK), and the admin
 * captures keep only the most recent items.
 */
import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateTagsCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, PublishCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../local/cloud.ts';
import { MAX_FILTER_VALUES } from '../../../local/ec2/query.ts';
import { MAX_ENTRIES_BYTES } from '../../../local/events/api.ts';
import { CAPTURED_EVENTS } from '../../../local/events/buses.ts';
import { QueryParams } from '../../../local/query-params.ts';
import { CAPTURED_MESSAGES } from '../../../local/sns/topics.ts';
import {
  awsError,
  dynamoFor,
  ec2For,
  eventsFor,
  NLB_ARN,
  snsFor,
  startTestCloud,
} from '../../support/local-cloud.ts';

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(async () => {
  await cloud.stop();
});

/** A map that counts every key it hands out or looks up: the work a parse does on the request. */
class CountingMap extends Map<string, string> {
  reads = 0;
  override get(key: string): string | undefined {
    this.reads += 1;
    return super.get(key);
  }
  override has(key: string): boolean {
    this.reads += 1;
    return super.has(key);
  }
  override *entries(): MapIterator<[string, string]> {
    for (const entry of super.entries()) {
      this.reads += 1;
      yield entry;
    }
  }
  override *keys(): MapIterator<string> {
    for (const key of super.keys()) {
      this.reads += 1;
      yield key;
    }
  }
  override [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }
}

function filterForm(count: number): CountingMap {
  const form = new CountingMap();
  for (let index = 1; index <= count; index += 1) {
    form.set(`Filter.${index}.Name`, 'service-id');
    form.set(`Filter.${index}.Value.1`, `vpce-svc-${index}`);
  }
  return form;
}

/** The reads of the request's parameters that reading every filter takes. */
function readsToParseFilters(count: number): number {
  const form = filterForm(count);
  const filters = new QueryParams(form)
    .structures('Filter')
    .map((filter) => ({ name: filter.required('Name'), values: filter.list('Value') }));
  expect(filters).toHaveLength(count);
  expect(filters[count - 1]).toEqual({ name: 'service-id', values: [`vpce-svc-${count}`] });
  return form.reads;
}

describe('EC2 Query parsing', () => {
  it('reads each parameter a bounded number of times: twice the filters, twice the work', () => {
    const small = readsToParseFilters(2000);
    const large = readsToParseFilters(4000);
    // Linear: reads grow with the parameters (4 per filter here); quadratic grew 4-fold.
    expect(large / small).toBeLessThan(2.2);
    expect(large).toBeLessThanOrEqual(4 * 2 * 4000);
  });

  it('answers 16,000 filters with FilterLimitExceeded, as EC2 does', async () => {
    const filters = Array.from({ length: 16_000 }, (_, index) => ({
      Name: 'service-id',
      Values: [`vpce-svc-${index.toString(16).padStart(8, '0')}`],
    }));
    const error = await awsError(
      ec2For(cloud).send(new DescribeVpcEndpointConnectionsCommand({ Filters: filters })),
    );
    expect(error.name).toBe('FilterLimitExceeded');
    expect(error.message).toBe('The maximum number of filter values specified on a single call is 200');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it(`takes ${MAX_FILTER_VALUES} filter values in a call and refuses one more`, async () => {
    const provider = ec2For(cloud);
    const values = Array.from({ length: MAX_FILTER_VALUES }, (_, index) => `value-${index}`);
    const answered = await provider.send(
      new DescribeVpcEndpointServiceConfigurationsCommand({
        Filters: [
          { Name: 'tag:team', Values: values.slice(0, 150) },
          { Name: 'tag:env', Values: values.slice(150) },
        ],
      }),
    );
    expect(answered.ServiceConfigurations ?? []).toEqual([]);
    const refused = await awsError(
      provider.send(
        new DescribeVpcEndpointServiceConfigurationsCommand({
          Filters: [
            { Name: 'tag:team', Values: values.slice(0, 150) },
            { Name: 'tag:env', Values: [...values.slice(150), 'one-more'] },
          ],
        }),
      ),
    );
    expect(refused.name).toBe('FilterLimitExceeded');
  });
});

describe('large EC2 lists', () => {
  it('refuses 10,000 tags with TagLimitExceeded and keeps the tags it had; takes 10,000 principals', async () => {
    const provider = ec2For(cloud);
    const created = await provider.send(
      new CreateVpcEndpointServiceConfigurationCommand({
        NetworkLoadBalancerArns: [NLB_ARN],
        TagSpecifications: [{ ResourceType: 'vpc-endpoint-service', Tags: [{ Key: 'kept', Value: 'yes' }] }],
      }),
    );
    const ServiceId = created.ServiceConfiguration?.ServiceId ?? '';
    const tags = Array.from({ length: 10_000 }, (_, index) => ({ Key: `key-${index}`, Value: 'v' }));
    const refused = await awsError(
      provider.send(new CreateTagsCommand({ Resources: [ServiceId], Tags: tags })),
    );
    expect(refused.name).toBe('TagLimitExceeded');
    const described = await provider.send(
      new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [ServiceId] }),
    );
    expect(described.ServiceConfigurations?.[0]?.Tags).toEqual([{ Key: 'kept', Value: 'yes' }]);
    const principals = Array.from(
      { length: 10_000 },
      (_, index) => `arn:aws:iam::${String(100_000_000_000 + index)}:root`,
    );
    await provider.send(
      new ModifyVpcEndpointServicePermissionsCommand({ ServiceId, AddAllowedPrincipals: principals }),
    );
    const page = await provider.send(
      new DescribeVpcEndpointServicePermissionsCommand({ ServiceId, MaxResults: 1000 }),
    );
    expect(page.AllowedPrincipals).toHaveLength(1000);
    expect(page.NextToken).toBeDefined();
  });
});

describe('message and item sizes', () => {
  it('refuses an SNS message over 256 KB with InvalidParameter "Message too long"', async () => {
    const sns = snsFor(cloud);
    const created = await sns.send(new CreateTopicCommand({ Name: 'size-limits' }));
    const TopicArn = created.TopicArn ?? '';
    const largest = 'x'.repeat(256 * 1024);
    await expect(sns.send(new PublishCommand({ TopicArn, Message: largest }))).resolves.toMatchObject({
      MessageId: expect.any(String),
    });
    const error = await awsError(sns.send(new PublishCommand({ TopicArn, Message: `${largest}x` })));
    expect(error.name).toBe('InvalidParameterException');
    expect(error.message).toBe('Invalid parameter: Message too long');
  });

  it('refuses PutEvents entries over 256 KB in all with ValidationException', async () => {
    const events = eventsFor(cloud);
    const entry = (detailBytes: number) => ({
      Source: 'size.test',
      DetailType: 'Sized',
      Detail: JSON.stringify({ pad: 'x'.repeat(detailBytes - '{"pad":""}'.length) }),
    });
    const fixed = 'size.test'.length + 'Sized'.length;
    const fits = await events.send(new PutEventsCommand({ Entries: [entry(MAX_ENTRIES_BYTES - fixed)] }));
    expect(fits.FailedEntryCount).toBe(0);
    const one = await awsError(
      events.send(new PutEventsCommand({ Entries: [entry(MAX_ENTRIES_BYTES - fixed + 1)] })),
    );
    expect(one.name).toBe('ValidationException');
    expect(one.message).toBe('Total size of the entries in the request is over the limit.');
    const half = MAX_ENTRIES_BYTES / 2;
    const two = await awsError(events.send(new PutEventsCommand({ Entries: [entry(half), entry(half)] })));
    expect(two.name).toBe('ValidationException');
  });

  it('refuses a DynamoDB item over 400 KB with ValidationException', async () => {
    const dynamodb = dynamoFor(cloud);
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'size-limits',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    const item = (bytes: number) => ({ pk: { S: 'a' }, data: { S: 'x'.repeat(bytes) } });
    await dynamodb.send(new PutItemCommand({ TableName: 'size-limits', Item: item(300 * 1024) }));
    const error = await awsError(
      dynamodb.send(new PutItemCommand({ TableName: 'size-limits', Item: item(400 * 1024) })),
    );
    expect(error.name).toBe('ValidationException');
    expect(error.message).toBe('Item size has exceeded the maximum allowed size');
  });
});

describe('admin captures', () => {
  it(`keep the most recent ${CAPTURED_MESSAGES} SNS messages and ${CAPTURED_EVENTS} events`, async () => {
    const arn = cloud.sns.createTopic('flood');
    const sns = snsFor(cloud);
    const events = eventsFor(cloud);
    // Sent in rounds of 100 (in parallel within a round): the first round must be gone.
    const round = 100;
    for (let first = 0; first < CAPTURED_MESSAGES + round; first += round) {
      await Promise.all(
        Array.from({ length: round }, (_, offset) =>
          sns.send(new PublishCommand({ TopicArn: arn, Message: `message ${first + offset}` })),
        ),
      );
    }
    for (let first = 0; first < CAPTURED_EVENTS + round; first += round) {
      await Promise.all(
        Array.from({ length: round / 10 }, (_, call) =>
          events.send(
            new PutEventsCommand({
              Entries: Array.from({ length: 10 }, (_, offset) => ({
                Source: 'flood.test',
                DetailType: 'Flood',
                Detail: JSON.stringify({ n: first + call * 10 + offset }),
                EventBusName: 'flood',
              })),
            }),
          ),
        ),
      );
    }
    const messages = (await (
      await fetch(`${cloud.endpoint}/_plgate/sns-messages?topicArn=${encodeURIComponent(arn)}`)
    ).json()) as { messages: Array<{ message: string }> };
    const kept = messages.messages.map((message) => Number(message.message.slice('message '.length)));
    expect(kept).toHaveLength(CAPTURED_MESSAGES);
    expect(Math.min(...kept)).toBe(round);
    expect(new Set(kept).size).toBe(CAPTURED_MESSAGES);
    const captured = (await (await fetch(`${cloud.endpoint}/_plgate/events?busName=flood`)).json()) as {
      events: Array<{ detail: { n: number } }>;
    };
    const numbers = captured.events.map((event) => event.detail.n);
    expect(numbers).toHaveLength(CAPTURED_EVENTS);
    expect(Math.min(...numbers)).toBe(round);
    expect(new Set(numbers).size).toBe(CAPTURED_EVENTS);
  });
});
