import {
  CreateTagsCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeTagsCommand,
} from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../local/cloud.ts';
import { CONSUMER_A, ec2For, NLB_ARN, startTestCloud } from '../../support/local-cloud.ts';

let cloud: LocalCloud;

const SIGNED = (service: string, key = 'test') =>
  `AWS4-HMAC-SHA256 Credential=${key}/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`;
const FORM = 'application/x-www-form-urlencoded; charset=utf-8';
const xml = new XMLParser();

interface Raw {
  status: number;
  text: string;
  contentType: string;
}

async function post(body: string, headers: Record<string, string>, path = '/'): Promise<Raw> {
  const response = await fetch(`${cloud.endpoint}${path}`, { method: 'POST', body, headers });
  return {
    status: response.status,
    text: await response.text(),
    contentType: response.headers.get('content-type') ?? '',
  };
}

function ec2Error(raw: Raw): { code: unknown; message: unknown; requestId: unknown } {
  const parsed: unknown = xml.parse(raw.text);
  const response =
    typeof parsed === 'object' && parsed !== null && 'Response' in parsed ? parsed.Response : undefined;
  if (
    typeof response !== 'object' ||
    response === null ||
    !('Errors' in response) ||
    !('RequestID' in response)
  ) {
    throw new Error(`not an EC2 error document: ${raw.text}`);
  }
  const errors = response.Errors;
  const error = typeof errors === 'object' && errors !== null && 'Error' in errors ? errors.Error : undefined;
  if (typeof error !== 'object' || error === null || !('Code' in error) || !('Message' in error)) {
    throw new Error(`no Error in ${raw.text}`);
  }
  return { code: error.Code, message: error.Message, requestId: response.RequestID };
}

beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(async () => {
  await cloud.stop();
});

describe('credentials', () => {
  it('answers EC2 calls without or with garbled credentials with AuthFailure (401)', async () => {
    const body = 'Action=DescribeVpcEndpoints&Version=2016-11-15';
    for (const authorization of [
      undefined,
      'Bearer abc',
      'AWS4-HMAC-SHA256 Credential=test/20260101',
      'AWS4-HMAC-SHA256 Signature=x',
    ]) {
      const raw = await post(body, {
        'content-type': FORM,
        ...(authorization === undefined ? {} : { authorization }),
      });
      expect(raw.status).toBe(401);
      expect(raw.contentType).toContain('text/xml');
      expect(ec2Error(raw).code).toBe('AuthFailure');
    }
  });

  it('answers DynamoDB and EventBridge calls without credentials in their JSON error shape', async () => {
    const dynamo = await post('{}', {
      'x-amz-target': 'DynamoDB_20120810.ListTables',
      'content-type': 'application/x-amz-json-1.0',
    });
    expect(dynamo.status).toBe(400);
    expect(JSON.parse(dynamo.text)).toMatchObject({
      __type: 'com.amazon.coral.service#MissingAuthenticationTokenException',
    });
    const garbled = await post('{}', {
      'x-amz-target': 'DynamoDB_20120810.ListTables',
      'content-type': 'application/x-amz-json-1.0',
      authorization: 'AWS4-HMAC-SHA256 Credential=x',
    });
    expect(JSON.parse(garbled.text)).toMatchObject({
      __type: 'com.amazon.coral.service#IncompleteSignatureException',
    });
    const events = await post('{"Entries":[]}', {
      'x-amz-target': 'AWSEvents.PutEvents',
      'content-type': 'application/x-amz-json-1.1',
    });
    expect(events.status).toBe(400);
    expect(JSON.parse(events.text)).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });

  it('answers SNS calls without credentials in the SNS error shape', async () => {
    const raw = await post('Action=Publish&Version=2010-03-31&TopicArn=x&Message=y', {
      'content-type': FORM,
    });
    expect(raw.status).toBe(403);
    expect(xml.parse(raw.text)).toMatchObject({
      ErrorResponse: { Error: { Type: 'Sender', Code: 'MissingAuthenticationToken' } },
    });
  });

  it('takes the account from a 12-digit access key id and the provider account otherwise', async () => {
    const sts = (accessKeyId: string) =>
      new STSClient({
        endpoint: cloud.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId, secretAccessKey: 'x' },
        maxAttempts: 1,
      });
    expect((await sts(CONSUMER_A).send(new GetCallerIdentityCommand({}))).Account).toBe(CONSUMER_A);
    expect((await sts('AKIAEXAMPLE').send(new GetCallerIdentityCommand({}))).Account).toBe(cloud.account);
  });
});

describe('malformed EC2 requests', () => {
  const headers = { 'content-type': FORM, authorization: SIGNED('ec2') };

  it('names unknown and missing actions', async () => {
    const unknown = await post('Action=LaunchRockets&Version=2016-11-15', headers);
    expect(unknown.status).toBe(400);
    expect(ec2Error(unknown)).toMatchObject({ code: 'InvalidAction' });
    expect(String(ec2Error(unknown).message)).toContain('LaunchRockets');
    const missing = await post('Version=2016-11-15', headers);
    expect(ec2Error(missing).code).toBe('MissingAction');
  });

  it('refuses a body that is not a form', async () => {
    const raw = await post('{"Action":"DescribeVpcEndpoints"}', {
      'content-type': 'application/json',
      authorization: SIGNED('ec2'),
    });
    expect(raw.status).toBe(400);
    expect(ec2Error(raw).code).toBe('MissingAction');
    expect(String(ec2Error(raw).message)).toContain('application/json');
  });

  it('names missing and invalid parameters and bad ids', async () => {
    const noService = await post(
      'Action=AcceptVpcEndpointConnections&Version=2016-11-15&VpcEndpointId.1=vpce-0123456789abcdef0',
      headers,
    );
    expect(ec2Error(noService)).toMatchObject({
      code: 'MissingParameter',
      message: 'The request must contain the parameter ServiceId',
    });
    const notBoolean = await post(
      `Action=CreateVpcEndpointServiceConfiguration&Version=2016-11-15&AcceptanceRequired=maybe&NetworkLoadBalancerArn.1=${encodeURIComponent(NLB_ARN)}`,
      headers,
    );
    expect(ec2Error(notBoolean).code).toBe('InvalidParameterValue');
    expect(String(ec2Error(notBoolean).message)).toContain('maybe');
    const zeroIndex = await post(
      'Action=DescribeVpcEndpoints&Version=2016-11-15&VpcEndpointId.0=vpce-0123456789abcdef0',
      headers,
    );
    expect(ec2Error(zeroIndex).code).toBe('InvalidParameterValue');
    const badId = await post(
      'Action=DescribeVpcEndpoints&Version=2016-11-15&VpcEndpointId.1=endpoint-1',
      headers,
    );
    expect(ec2Error(badId)).toMatchObject({ code: 'InvalidVpcEndpointId.Malformed' });
    const notInteger = await post(
      'Action=DescribeVpcEndpointConnections&Version=2016-11-15&MaxResults=ten',
      headers,
    );
    expect(ec2Error(notInteger).code).toBe('InvalidParameterValue');
  });

  it('serves GET requests with the parameters in the query string', async () => {
    const response = await fetch(
      `${cloud.endpoint}/?Action=DescribeVpcEndpointConnections&Version=2016-11-15`,
      {
        headers: { authorization: SIGNED('ec2') },
      },
    );
    expect(response.status).toBe(200);
    const body: unknown = xml.parse(await response.text());
    expect(body).toHaveProperty('DescribeVpcEndpointConnectionsResponse.requestId');
  });

  it('refuses a service the local cloud does not serve', async () => {
    const raw = await post('Action=ListBuckets', { 'content-type': FORM, authorization: SIGNED('s3') });
    expect(raw.status).toBe(400);
    expect(String(ec2Error(raw).message)).toContain("'s3'");
  });
});

describe('malformed JSON requests', () => {
  it('answers unknown targets and broken JSON with JSON errors', async () => {
    const unknown = await post('{}', {
      'x-amz-target': 'Kinesis_20131202.ListStreams',
      authorization: SIGNED('kinesis'),
    });
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text).__type).toContain('UnknownOperationException');
    const dynamo = await post('{oops', {
      'x-amz-target': 'DynamoDB_20120810.GetItem',
      'content-type': 'application/x-amz-json-1.0',
      authorization: SIGNED('dynamodb'),
    });
    expect(JSON.parse(dynamo.text).__type).toContain('SerializationException');
    const events = await post('{oops', {
      'x-amz-target': 'AWSEvents.PutEvents',
      'content-type': 'application/x-amz-json-1.1',
      authorization: SIGNED('events'),
    });
    expect(JSON.parse(events.text).__type).toBe('SerializationException');
  });

  it('refuses a body over 16 MiB and keeps serving', async () => {
    const raw = await post('x'.repeat(16 * 1024 * 1024 + 1), {
      'content-type': FORM,
      authorization: SIGNED('ec2'),
    });
    expect(raw.status).toBe(413);
  });
});

describe('the server keeps serving', () => {
  it('answers arbitrary form bodies with an AWS-shaped answer, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.oneof(fc.constantFrom('Action', 'ServiceId', 'Filter.1.Name', 'MaxResults'), fc.string()),
            fc.string(),
          ),
          {
            maxLength: 5,
          },
        ),
        fc.constantFrom('ec2', 'sns', 'sts'),
        async (pairs, service) => {
          const raw = await post(new URLSearchParams(pairs).toString(), {
            'content-type': FORM,
            authorization: SIGNED(service),
          });
          expect(raw.status).toBeGreaterThanOrEqual(200);
          expect(raw.status).toBeLessThan(500);
          expect(raw.text.startsWith('<?xml')).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
    const health: unknown = await (await fetch(`${cloud.endpoint}/_plgate/health`)).json();
    expect(health).toMatchObject({
      status: 'ok',
      endpoint: cloud.endpoint,
      account: cloud.account,
      region: cloud.region,
    });
  });

  it('has a read-only admin API', async () => {
    expect((await fetch(`${cloud.endpoint}/_plgate/nope`)).status).toBe(404);
    expect((await fetch(`${cloud.endpoint}/_plgate/health`, { method: 'POST' })).status).toBe(405);
  });

  it('carries any text through XML intact', async () => {
    const ec2 = ec2For(cloud);
    const created = await ec2.send(
      new CreateVpcEndpointServiceConfigurationCommand({ NetworkLoadBalancerArns: [NLB_ARN] }),
    );
    const id = created.ServiceConfiguration?.ServiceId ?? '';
    const value = `<tag a="1" b='2'> & ]]> é 中文 \t tab`;
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'note', Value: value }] }));
    const tags = await ec2.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }),
    );
    expect(tags.Tags?.[0]?.Value).toBe(value);
  });
});
