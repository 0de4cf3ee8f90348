/**
 * Throttled EC2 attempts in members: counted per member region by the member clients (every
 * attempt, inside the SDK's retries), written to the member's record once per invocation, and
 * kept when that write fails.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeVpcEndpointServiceConfigurationsCommand } from '@aws-sdk/client-ec2';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberCredentials } from '../../../functions/aws/member-credentials.ts';
import { MemberEc2 } from '../../../functions/aws/member-ec2.ts';
import { MemberPacing } from '../../../functions/aws/member-pacing.ts';
import { DynamoMemberStates } from '../../../functions/aws/member-states.ts';
import { isThrottled, MemberThrottles } from '../../../functions/aws/member-throttles.ts';

const A = { account: '111111111111', region: 'us-east-1' };
const B = { account: '222222222222', region: 'eu-west-1' };

describe('MemberThrottles', () => {
  it('counts per member region and writes each count once', async () => {
    const throttles = new MemberThrottles();
    throttles.note(A);
    throttles.note(B);
    throttles.note(A);
    const written: string[] = [];
    expect(
      await throttles.flush(async (place, count) => void written.push(`${place.account} ${count}`)),
    ).toEqual([]);
    expect(written).toEqual(['111111111111 2', '222222222222 1']);
    expect(throttles.pending()).toEqual([]);
    await throttles.flush(async () => {
      throw new Error('nothing to write: not called');
    });
  });

  it('keeps the count of a member whose write failed, for the next flush, and never rejects', async () => {
    const throttles = new MemberThrottles();
    throttles.note(A);
    throttles.note(B);
    const failures = await throttles.flush(async (place) => {
      if (place.account === A.account) throw new Error('ProvisionedThroughputExceeded');
    });
    expect(failures).toHaveLength(1);
    throttles.note(A);
    expect(throttles.pending()).toEqual([{ place: A, count: 2 }]);
  });

  it("tells throttling as the SDK's retries do", () => {
    expect(isThrottled(Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded' }))).toBe(true);
    expect(
      isThrottled(Object.assign(new Error('x'), { name: 'X', $metadata: { httpStatusCode: 429 } })),
    ).toBe(true);
    expect(isThrottled(Object.assign(new Error('no'), { name: 'UnauthorizedOperation' }))).toBe(false);
    expect(isThrottled('RequestLimitExceeded')).toBe(false);
  });
});

describe("a member's EC2 client counts every throttled attempt, the ones the SDK retried too", () => {
  let server: Server;
  let endpoint: string;
  let throttleNext = 0;
  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (throttleNext > 0) {
          throttleNext -= 1;
          response.writeHead(503, { 'content-type': 'text/xml' });
          response.end(
            '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r1</RequestID></Response>',
          );
          return;
        }
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(
          '<DescribeVpcEndpointServiceConfigurationsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r2</requestId><serviceConfigurationSet/></DescribeVpcEndpointServiceConfigurationsResponse>',
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server?.close();
  });

  it('a call throttled once and then answered counts 1 in its member region, none elsewhere', async () => {
    const throttles = new MemberThrottles();
    const credentials = {
      credentialsFor: async () => ({ accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 's', sessionToken: 't' }),
      forgetRefused: () => {},
    } as unknown as MemberCredentials;
    const ec2 = new MemberEc2({
      credentials,
      pacing: new MemberPacing(),
      throttles,
      clientOptions: { endpoint, maxAttempts: 3 },
    });
    try {
      throttleNext = 1;
      const out = await ec2
        .clientFor(A.account, A.region)
        .send(new DescribeVpcEndpointServiceConfigurationsCommand({}));
      expect(out.$metadata.attempts).toBe(2);
      expect(throttles.pending()).toEqual([{ place: A, count: 1 }]);
    } finally {
      ec2.destroy();
    }
  });
});

describe("a member's record of throttled calls, counted per UTC hour", () => {
  const conditionFailed = () =>
    Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
  const setup = () => {
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    );
    return { dynamo: mockClient(doc), states: new DynamoMemberStates(doc, 'ledger') };
  };
  const at = new Date('2026-12-07T16:59:30Z');

  it("adds to the hour's count when the record is of this hour", async () => {
    const { dynamo, states } = setup();
    dynamo.on(UpdateCommand).resolves({});
    await states.addThrottled(A, 4, at);
    const [call] = dynamo.commandCalls(UpdateCommand);
    expect(call?.args[0].input).toMatchObject({
      UpdateExpression: expect.stringContaining('throttledCalls = throttledCalls + :n'),
      ConditionExpression: 'throttledHour = :hour',
      ExpressionAttributeValues: expect.objectContaining({ ':n': 4, ':hour': '2026-12-07T16' }),
    });
  });

  it('starts the count over in a new hour, and adds to it when another container started it first', async () => {
    const { dynamo, states } = setup();
    dynamo.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    await states.addThrottled(A, 2, at);
    expect(dynamo.commandCalls(UpdateCommand).map((c) => c.args[0].input.ConditionExpression)).toEqual([
      'throttledHour = :hour',
      'attribute_not_exists(throttledHour) OR throttledHour < :hour',
    ]);

    const raced = setup();
    raced.dynamo.on(UpdateCommand).rejectsOnce(conditionFailed()).rejectsOnce(conditionFailed()).resolves({});
    await raced.states.addThrottled(A, 2, at);
    expect(raced.dynamo.commandCalls(UpdateCommand)).toHaveLength(3);
  });

  it('refuses a count that is not a whole positive number, and passes on other errors', async () => {
    const { dynamo, states } = setup();
    await expect(states.addThrottled(A, 0, at)).rejects.toThrow(
      'count must be a whole number of throttled calls, got 0',
    );
    dynamo.on(UpdateCommand).rejects(Object.assign(new Error('down'), { name: 'InternalServerError' }));
    await expect(states.addThrottled(A, 1, at)).rejects.toThrow('down');
  });
});
