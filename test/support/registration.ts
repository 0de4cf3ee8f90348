/**
 * A consumer's registration against the in-process gate, without a process per step: an
 * invitation written as `plgate invite` writes it, then the proof `plgate register` signs
 * with the consumer's own 12-digit credentials, posted to the register URL.
 */
import { randomBytes } from 'node:crypto';
import { signProof } from '../../cli/proof-of-account.ts';
import { createClients } from '../../functions/aws/clients.ts';
import { DynamoInvitations } from '../../functions/aws/invitations.ts';
import { codeHash, invitationCode } from '../../functions/core/registration/invitation.ts';
import { PROVIDER_CREDENTIALS } from '../../local/provider-credentials.ts';

import type { LocalGateWorld } from './local-gate.ts';

export interface RegisterAnswer {
  status: number;
  body: { message?: string; reason?: string; serviceId?: string; account?: string };
}

/** Invites `account` to `serviceId` as the provider, then registers it; the register URL's answer. */
export async function inviteAndRegister(
  world: LocalGateWorld,
  serviceId: string,
  account: string,
): Promise<RegisterAnswer> {
  const clients = createClients({
    endpoint: world.cloud.endpoint,
    region: world.cloud.region,
    credentials: PROVIDER_CREDENTIALS,
  });
  try {
    const id = `inv-${randomBytes(8).toString('hex')}`;
    const code = invitationCode(id, randomBytes(32).toString('base64url'));
    const now = new Date();
    await new DynamoInvitations(clients.dynamodb, world.gate.config.rulesTable).create({
      id,
      codeHash: codeHash(code),
      serviceId,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
      acceptFor: 'P30D',
      createdBy: 'test',
      status: 'open',
    });
    const request = await signProof(id, {
      credentials: { accessKeyId: account, secretAccessKey: 'consumer-secret' },
      region: world.cloud.region,
      env: { AWS_ENDPOINT_URL: world.cloud.endpoint },
    });
    const response = await fetch(world.gate.registerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, request }),
    });
    return { status: response.status, body: (await response.json()) as RegisterAnswer['body'] };
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}
