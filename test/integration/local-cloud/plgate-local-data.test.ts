/**
 * `plgate local --data DIR` as a user runs it, the real binary in its own process: a
 * second one on the same directory is refused, SIGTERM saves and exits 0, and after a
 * restart the gate decides the request that was waiting before it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeVpcEndpointConnectionsCommand,
  EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../../local/data-lock.ts';
import { STATE_FILE } from '../../../local/state-file.ts';
import { CONSUMER_A, NLB_ARN } from '../../support/local-cloud.ts';
import {
  type PlgateLocalProcess,
  runPlgateLocal,
  startPlgateLocal,
} from '../../support/plgate-local-process.ts';

const MANAGED = { Key: 'privatelink-gate:managed', Value: 'true' };

const ec2 = (endpoint: string, accessKeyId: string) =>
  new EC2Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });

let scratch: string;
let dataDir: string;
let rulesDir: string;
let running: PlgateLocalProcess | undefined;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'plgate-local-data-'));
  dataDir = join(scratch, 'data');
  rulesDir = join(scratch, 'rules');
  mkdirSync(rulesDir);
  writeFileSync(
    join(rulesDir, 'partners.yaml'),
    `rules:\n  - id: consumer-a\n    effect: accept\n    match:\n      accounts: ["${CONSUMER_A}"]\n`,
  );
});
afterAll(async () => {
  await running?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function connectionState(endpoint: string, endpointId: string): Promise<string | undefined> {
  const client = ec2(endpoint, 'provider');
  try {
    const answer = await client.send(new DescribeVpcEndpointConnectionsCommand({}));
    return answer.VpcEndpointConnections?.find((c) => c.VpcEndpointId === endpointId)?.VpcEndpointState;
  } finally {
    client.destroy();
  }
}

describe('plgate local --data', () => {
  let endpointId = '';

  it('holds a request with no rules, refuses a second instance on the directory, and stops on SIGTERM with exit 0', async () => {
    running = await startPlgateLocal([
      '--data',
      dataDir,
      '--sweep-interval',
      '1h',
      '--accept-delay',
      '100ms',
    ]);
    const first = running;
    const provider = ec2(first.endpoint, 'provider');
    const consumer = ec2(first.endpoint, CONSUMER_A);
    try {
      const created = await provider.send(
        new CreateVpcEndpointServiceConfigurationCommand({
          NetworkLoadBalancerArns: [NLB_ARN],
          TagSpecifications: [{ ResourceType: 'vpc-endpoint-service', Tags: [MANAGED] }],
        }),
      );
      const service = created.ServiceConfiguration;
      await provider.send(
        new ModifyVpcEndpointServicePermissionsCommand({
          ServiceId: service?.ServiceId,
          AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER_A}:root`],
        }),
      );
      const endpoint = await consumer.send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Interface',
          VpcId: 'vpc-0123456789abcdef0',
          ServiceName: service?.ServiceName,
          SubnetIds: ['subnet-0123456789abcdef0'],
        }),
      );
      endpointId = endpoint.VpcEndpoint?.VpcEndpointId ?? '';
    } finally {
      provider.destroy();
      consumer.destroy();
    }
    // Its decision is made and recorded before the stop, as a user would see it.
    await first.waitFor(new RegExp(`Held for review: ${endpointId}`));
    expect(await connectionState(first.endpoint, endpointId)).toBe('pendingAcceptance');
    expect(readFileSync(join(dataDir, LOCK_FILE), 'utf8')).toMatch(/^\d+\n$/);

    const second = await runPlgateLocal(['--data', dataDir]);
    expect(second.code).toBe(1);
    expect(second.output).toContain(`the data directory ${dataDir} is in use by another plgate local (pid `);

    const code = await first.stop();
    running = undefined;
    expect(code).toBe(0);
    expect(first.output()).toContain('stopping (received SIGTERM)');
    expect(first.output()).toContain('stopped');
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    expect(readFileSync(join(dataDir, STATE_FILE), 'utf8')).toContain(endpointId);
  }, 180_000);

  it('after a restart with rules that accept it, decides the request that was waiting', async () => {
    expect(endpointId).not.toBe('');
    running = await startPlgateLocal([
      '--data',
      dataDir,
      '--rules',
      rulesDir,
      '--sweep-interval',
      '1h',
      '--accept-delay',
      '100ms',
    ]);
    const restarted = running;
    await restarted.waitFor(new RegExp(`Accepted: ${endpointId}`));
    expect(await connectionState(restarted.endpoint, endpointId)).toMatch(/^(pending|available)$/);
    expect(await restarted.stop()).toBe(0);
    running = undefined;
  }, 180_000);
});
