/**
 * `plgate invite`: a single-use code with which one consumer account proves itself and
 * is admitted to a service; `plgate invites`: the open ones, and `invites revoke`.
 */
import { randomBytes } from 'node:crypto';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { DynamoInvitations } from '../../functions/aws/invitations.ts';
import { Ec2ServiceAccess } from '../../functions/aws/service-access.ts';
import { codeHash, type Invitation, invitationCode } from '../../functions/core/registration/invitation.ts';
import { accountOption, serviceIdOption } from '../arguments.ts';
import { ServiceNotManagedError } from '../connection-lookup.ts';
import { isoDuration, positiveDuration } from '../duration.ts';
import { EXIT, UsageError } from '../exit.ts';
import { type GateTarget, type TargetFlags, withTarget } from '../gate-target.ts';
import { age, printJson, printLine, printTable } from '../output.ts';
import { registerUrlOf } from '../register-url.ts';
import { withTargetOptions } from '../target-options.ts';

interface InviteFlags extends TargetFlags {
  service: string;
  account?: string;
  expires: string;
  acceptFor: string;
  api?: string;
  json?: boolean;
}

export function registerInvite(program: Command): void {
  withTargetOptions(
    program
      .command('invite')
      .description(
        'a single-use code with which a consumer account proves itself and is admitted to a service',
      )
      .requiredOption('--service <id>', 'the endpoint service (tagged privatelink-gate:managed=true)')
      .option('--account <id>', 'only this account may redeem the code')
      .option('--expires <duration>', 'how long the code can be redeemed (e.g. 24h, 7d, PT24H)', 'PT24H')
      .option(
        '--accept-for <duration>',
        'how long the registered account is accepted (e.g. 365d, P365D)',
        'P365D',
      )
      .option('--api <url>', 'the register URL (default: the stack output RegisterUrl, or plgate local)')
      .option('--json', 'print {code, serviceId, expiresAt, registerUrl}'),
  ).action(async (flags: InviteFlags) => {
    const serviceId = serviceIdOption(flags.service);
    const account = flags.account === undefined ? undefined : accountOption(flags.account);
    const expiresMs = positiveDuration('--expires', flags.expires);
    // Kept in the invitation as ISO 8601, the form the register function reads.
    const acceptFor = isoDuration(positiveDuration('--accept-for', flags.acceptFor));
    const registerUrl = await registerUrlOf(flags);
    await withTarget(flags, async (target) => {
      const name = await new Ec2ServiceAccess(target.clients.ec2).managedServiceName(serviceId);
      if (name === undefined) throw new ServiceNotManagedError(serviceId);
      const now = new Date();
      const code = invitationCode(
        `inv-${randomBytes(8).toString('hex')}`,
        randomBytes(32).toString('base64url'),
      );
      const invitation: Invitation = {
        id: code.slice(0, code.indexOf('.')),
        codeHash: codeHash(code),
        serviceId,
        ...(account ? { account } : {}),
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + expiresMs).toISOString(),
        acceptFor,
        createdBy: await callerOf(target),
        status: 'open',
      };
      await new DynamoInvitations(target.clients.dynamodb, target.config.rulesTable).create(invitation);
      if (flags.json) {
        printJson({ code, serviceId, expiresAt: invitation.expiresAt, registerUrl });
        return;
      }
      printLine(`invitation ${invitation.id} to ${serviceId}${account ? ` for account ${account}` : ''}`);
      printLine(`code (shown once, store it nowhere): ${code}`);
      printLine(`redeemable until ${invitation.expiresAt}; accepts the account for ${acceptFor}`);
      printLine('the consumer, with its own AWS credentials, runs:');
      printLine(`  plgate register --code ${code} --api ${registerUrl}`);
    });
  });

  // `invites` lists; `invites revoke ID` ends one. The listing's flags belong to `invites`
  // itself, so that `plgate invites --help` shows them; positional, so that `revoke` reads its own.
  const invites = withTargetOptions(
    program
      .command('invites')
      .description('open invitations: not yet redeemed, revoked or expired (never their codes)')
      .enablePositionalOptions()
      .option('--all', 'every invitation, whatever its status')
      .option('--json', 'print them as JSON'),
  );
  invites.action(async (flags: TargetFlags & { all?: boolean; json?: boolean }) => {
    await withTarget(flags, async (target) => {
      const now = new Date();
      const all = await new DynamoInvitations(target.clients.dynamodb, target.config.rulesTable).list();
      const shown = flags.all
        ? all
        : all.filter((i) => i.status === 'open' && Date.parse(i.expiresAt) > now.getTime());
      const listed = shown.map(({ codeHash: _hash, ...rest }) => rest);
      if (flags.json) {
        printJson(listed);
        return;
      }
      if (listed.length === 0) {
        printLine(flags.all ? 'no invitations' : 'no open invitations');
        return;
      }
      printTable(
        ['id', 'service', 'account', 'status', 'expires', 'created'],
        listed.map((i) => [
          i.id,
          i.serviceId,
          i.account ?? i.redeemedAccount ?? 'any',
          Date.parse(i.expiresAt) <= now.getTime() && i.status === 'open' ? 'expired' : i.status,
          i.expiresAt,
          `${age(new Date(i.createdAt), now)} ago by ${i.createdBy}`,
        ]),
      );
    });
  });
  withTargetOptions(
    invites
      .command('revoke')
      .description('end an open invitation: its code can no longer be redeemed')
      .argument('<id>', 'the invitation id (inv-…)')
      .option('--json', 'print {id, revoked} as JSON'),
  ).action(async (id: string, flags: TargetFlags & { json?: boolean }) => {
    if (!/^inv-[0-9a-f]{16}$/.test(id))
      throw new UsageError(`the invitation id must look like inv-0123456789abcdef, got '${id}'`);
    await withTarget(flags, async (target) => {
      const revoked = await new DynamoInvitations(target.clients.dynamodb, target.config.rulesTable).revoke(
        id,
        new Date(),
      );
      if (flags.json) printJson({ id, revoked });
      if (!revoked) {
        process.stderr.write(`plgate: there is no open invitation ${id} (redeemed, revoked or never made)\n`);
        process.exitCode = EXIT.failure;
        return;
      }
      if (!flags.json) printLine(`revoked ${id}`);
    });
  });
}

/** Who made the invitation: the caller's ARN; with plgate local, the access key. */
async function callerOf(target: GateTarget): Promise<string> {
  const credentials = await target.clients.ec2.config.credentials();
  if (target.local) return `local:${credentials.accessKeyId}`;
  const sts = new STSClient({ region: await target.clients.ec2.config.region(), credentials });
  try {
    const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
    return Arn ?? 'unknown';
  } finally {
    sts.destroy();
  }
}
