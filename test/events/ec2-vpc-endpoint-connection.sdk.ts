/**
 * VpcEndpointConnection objects as code built on the SDK's own types holds them:
 * CreationTimestamp a Date, states from the SDK's `State` enum (`PendingAcceptance`
 * casing), optional fields absent rather than null.
 */
import { IpAddressType, State, type VpcEndpointConnection } from '@aws-sdk/client-ec2';

export const sdkPendingConnection: VpcEndpointConnection = {
  ServiceId: 'vpce-svc-0a1b2c3d4e5f67890',
  VpcEndpointId: 'vpce-0b7a3c9d1e2f40516',
  VpcEndpointOwner: '111111111111',
  VpcEndpointState: State.PendingAcceptance,
  CreationTimestamp: new Date('2026-11-20T09:15:42.318Z'),
  DnsEntries: [
    {
      DnsName: 'vpce-0b7a3c9d1e2f40516-4k2m8q1z.vpce-svc-0a1b2c3d4e5f67890.us-east-1.vpce.amazonaws.com',
      HostedZoneId: 'Z7HUB22UULQXV',
    },
  ],
  NetworkLoadBalancerArns: [
    'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/payments-api/50dc6c495c0c9188',
  ],
  IpAddressType: IpAddressType.ipv4,
  VpcEndpointConnectionId: 'vpce-con-0c1d2e3f4a5b6c7d8',
  Tags: [
    { Key: 'env', Value: 'prod' },
    { Key: 'Team', Value: 'ledger' },
  ],
  VpcEndpointRegion: 'us-east-1',
};

export const sdkAvailableGatewayConnection: VpcEndpointConnection = {
  ServiceId: 'vpce-svc-0a1b2c3d4e5f67890',
  VpcEndpointId: 'vpce-07c6d5e4f3a2b1908',
  VpcEndpointOwner: '666666666666',
  VpcEndpointState: State.Available,
  CreationTimestamp: new Date('2026-11-19T22:03:07.000Z'),
  GatewayLoadBalancerArns: [
    'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/gwy/inspection/0c2a3b4d5e6f7a8b',
  ],
  IpAddressType: IpAddressType.dualstack,
  Tags: [],
  VpcEndpointRegion: 'eu-west-1',
};
