import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { DescribeVpcEndpointConnectionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import {
  CONNECTION_STATES,
  type Connection,
  ConnectionParseError,
  normalizeState,
  parseConnection,
  readConnection,
} from '../../../functions/core/connection.ts';
import {
  sdkAvailableGatewayConnection,
  sdkPendingConnection,
} from '../../events/ec2-vpc-endpoint-connection.sdk.ts';

const events = new URL('../../events/', import.meta.url);
const cliOutput: unknown = JSON.parse(
  readFileSync(new URL('ec2-describe-vpc-endpoint-connections.cli.json', events), 'utf8'),
);

function cliConnections(): unknown[] {
  if (typeof cliOutput === 'object' && cliOutput !== null && 'VpcEndpointConnections' in cliOutput) {
    const list = cliOutput.VpcEndpointConnections;
    if (Array.isArray(list)) return list;
  }
  throw new Error('fixture is not describe-vpc-endpoint-connections output');
}

/** What DescribeVpcEndpointConnections returns through the real SDK deserializer, from EC2's XML. */
async function sdkConnectionsFromXml(): Promise<unknown[]> {
  const xml = readFileSync(new URL('ec2-describe-vpc-endpoint-connections.xml', events));
  const client = new EC2Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    requestHandler: {
      handle: async () => ({
        response: {
          statusCode: 200,
          headers: { 'content-type': 'text/xml;charset=UTF-8' },
          body: Readable.from([xml]),
        },
      }),
    },
  });
  const output = await client.send(new DescribeVpcEndpointConnectionsCommand({}));
  return output.VpcEndpointConnections ?? [];
}

const pendingAcme: Connection = {
  serviceId: 'vpce-svc-0a1b2c3d4e5f67890',
  endpointId: 'vpce-0b7a3c9d1e2f40516',
  account: '111111111111',
  state: 'pendingAcceptance',
  createdAt: new Date('2026-11-20T09:15:42.318Z'),
  region: 'us-east-1',
  ipAddressType: 'ipv4',
  tags: { env: 'prod', Team: 'ledger' },
  connectionId: 'vpce-con-0c1d2e3f4a5b6c7d8',
  loadBalancerArns: [
    'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/payments-api/50dc6c495c0c9188',
  ],
};

describe('parseConnection', () => {
  it('reads the SDK shape deserialized from EC2 XML (Date timestamps, API state casing)', async () => {
    const [first, second] = (await sdkConnectionsFromXml()).map(parseConnection);
    expect(first).toEqual(pendingAcme);
    expect(second).toMatchObject({
      account: '666666666666',
      state: 'available',
      region: 'eu-west-1',
      ipAddressType: 'dualstack',
      tags: {},
    });
  });

  it('reads the SDK shape with the TypeScript enum casing (PendingAcceptance)', () => {
    expect(parseConnection(sdkPendingConnection)).toEqual(pendingAcme);
    const gateway = parseConnection(sdkAvailableGatewayConnection);
    expect(gateway.state).toBe('available');
    expect(gateway.loadBalancerArns).toEqual([
      'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/gwy/inspection/0c2a3b4d5e6f7a8b',
    ]);
  });

  it('reads the AWS CLI JSON shape (ISO strings with microseconds and offsets) to the same connection', () => {
    const [first, second, minimal] = cliConnections().map(parseConnection);
    expect(first).toEqual(pendingAcme);
    expect(second?.createdAt).toEqual(new Date('2026-11-19T22:03:07Z'));
    // The documented minimal example: no region, no IP address type, no tags.
    expect(minimal).toEqual({
      serviceId: 'vpce-svc-03d5ebb7d9579a2b3',
      endpointId: 'vpce-0c1308d7312217abc',
      account: '123456789012',
      state: 'pendingAcceptance',
      createdAt: new Date('2017-11-30T10:00:24.350Z'),
      tags: {},
      loadBalancerArns: [],
    });
  });

  it('keeps tag keys as they are (case-sensitive) and a tag without a value as ""', () => {
    const parsed = parseConnection({
      ...sdkPendingConnection,
      Tags: [
        { Key: 'Env', Value: 'a' },
        { Key: 'env', Value: 'b' },
        { Key: 'flag' },
        { Key: '__proto__', Value: 'x' },
      ],
    });
    expect(Object.entries(parsed.tags)).toEqual([
      ['Env', 'a'],
      ['env', 'b'],
      ['flag', ''],
      ['__proto__', 'x'],
    ]);
    expect(Object.getPrototypeOf(parsed.tags)).toBe(Object.prototype);
  });

  it('ignores fields it does not use, such as ones AWS adds later', () => {
    expect(
      parseConnection({ ...sdkPendingConnection, PayerResponsibilities: [{ foo: 1 }], Brand: 'new' }),
    ).toEqual(pendingAcme);
  });

  it.each([
    [{ VpcEndpointOwner: '1111' }, 'VpcEndpointOwner: must be a 12-digit account id, got "1111"'],
    [{ VpcEndpointOwner: 111111111111 }, 'VpcEndpointOwner: must be a 12-digit account id, got 111111111111'],
    [{ VpcEndpointOwner: undefined }, 'VpcEndpointOwner: is required (a 12-digit account id), got nothing'],
    [{ ServiceId: 'svc-1' }, 'ServiceId: must be an endpoint service id (vpce-svc-…), got "svc-1"'],
    [{ VpcEndpointId: 'vpce-XYZ' }, 'VpcEndpointId: must be an endpoint id (vpce-…), got "vpce-XYZ"'],
    [
      { VpcEndpointState: 'sleeping' },
      'VpcEndpointState: must be one of pendingAcceptance, pending, available',
    ],
    [{ VpcEndpointState: 3 }, 'VpcEndpointState: must be a connection state, got 3'],
    [
      { CreationTimestamp: 'yesterday' },
      'CreationTimestamp: must be a Date or an ISO-8601 timestamp with a zone, got "yesterday"',
    ],
    [
      { CreationTimestamp: new Date('nope') },
      'CreationTimestamp: must be a Date or an ISO-8601 timestamp with a zone, got Date(invalid)',
    ],
    [{ CreationTimestamp: undefined }, 'CreationTimestamp: is required, got nothing'],
    [{ Tags: { env: 'prod' } }, 'Tags: must be a list of {Key, Value}, got {"env":"prod"}'],
    [{ Tags: [{ Value: 'x' }] }, 'Tags[0].Key: must be a non-empty string, got nothing'],
    [{ Tags: [{ Key: 'a', Value: 3 }] }, 'Tags[0].Value: must be a string, got 3'],
    [{ IpAddressType: 'ipv5' }, 'IpAddressType: must be one of ipv4, dualstack, ipv6, got "ipv5"'],
    [{ VpcEndpointRegion: 'Mars' }, 'VpcEndpointRegion: must be an AWS region such as us-east-1, got "Mars"'],
    [{ NetworkLoadBalancerArns: 'arn' }, 'NetworkLoadBalancerArns: must be a list of strings, got "arn"'],
  ])('refuses %j naming the field and the value', (patch, message) => {
    const act = () => parseConnection({ ...sdkPendingConnection, ...patch });
    expect(act).toThrow(ConnectionParseError);
    expect(act).toThrow(message);
  });

  it.each([null, 'vpce-0b7a3c9d1e2f40516', [], 42])('refuses %j as a connection', (raw) => {
    expect(() => parseConnection(raw)).toThrow(/^VpcEndpointConnection: must be an object/);
  });

  it('accepts IpAddressType in any casing and null optional fields', () => {
    const parsed = parseConnection({
      ...sdkPendingConnection,
      IpAddressType: 'DualStack',
      VpcEndpointRegion: null,
      Tags: null,
    });
    expect(parsed.ipAddressType).toBe('dualstack');
    expect(parsed.region).toBeUndefined();
    expect(parsed.tags).toEqual({});
  });
});

describe('readConnection', () => {
  it('reports every field it cannot read, in field order; parseConnection throws the first', () => {
    const raw = {
      VpcEndpointId: 'vpce-0123456789abcdef0',
      VpcEndpointState: 'pendingAcceptance',
      Tags: [{ Key: '' }, { Key: 'ok', Value: 'yes' }, { Key: 'n', Value: 3 }],
      IpAddressType: 'ipv5',
    };
    const read = readConnection(raw);
    expect(read.connection).toBeUndefined();
    expect(read.problems.map((problem) => problem.field)).toEqual([
      'ServiceId',
      'VpcEndpointOwner',
      'CreationTimestamp',
      'Tags[0].Key',
      'Tags[2].Value',
      'IpAddressType',
    ]);
    expect(() => parseConnection(raw)).toThrow(read.problems[0]?.message);
  });

  it('gives the connection parseConnection gives, and no problem, when every field reads', () => {
    for (const raw of cliConnections()) {
      expect(readConnection(raw)).toEqual({ connection: parseConnection(raw), problems: [] });
    }
  });
});

describe('normalizeState', () => {
  it.each(CONNECTION_STATES)('reads %s in API, SDK enum, upper and lower casing', (state) => {
    const enumCasing = state.charAt(0).toUpperCase() + state.slice(1);
    for (const variant of [state, enumCasing, state.toUpperCase(), state.toLowerCase()]) {
      expect(normalizeState(variant)).toBe(state);
    }
  });

  it('throws on a state EC2 does not have, naming it', () => {
    expect(() => normalizeState('pending-acceptance')).toThrow(ConnectionParseError);
    expect(() => normalizeState('')).toThrow('got ""');
  });
});
