/**
 * `plgate register`: the consumer redeems an invitation code, proving its account with
 * its own AWS credentials, and learns the service name to create its endpoint with.
 */
import type { Command } from 'commander';
import { InvitationCodeError, invitationIdOf } from '../../functions/core/registration/invitation.ts';
import { UsageError } from '../exit.ts';
import { printJson, printLine } from '../output.ts';
import { signProof } from '../proof-of-account.ts';
import { checkedUrl } from '../register-url.ts';

interface RegisterFlags {
  code: string;
  api: string;
  json?: boolean;
}

interface Registered {
  serviceId: string;
  serviceName: string;
  account: string;
  acceptedUntil: string;
}

export class RegistrationFailedError extends Error {
  override name = 'RegistrationFailedError';
}

export function registerRegister(program: Command): void {
  program
    .command('register')
    .description('redeem an invitation with proof of your AWS account (signed with your own credentials)')
    .requiredOption('--code <code>', 'the code the provider gave you')
    .requiredOption('--api <url>', 'the register URL the provider gave you')
    .option('--json', 'print {serviceId, serviceName, account, acceptedUntil}')
    .action(async (flags: RegisterFlags) => {
      let invitationId: string;
      try {
        invitationId = invitationIdOf(flags.code);
      } catch (error) {
        if (!(error instanceof InvitationCodeError)) throw error;
        throw new UsageError(`--code must be the code the provider gave you (inv-….…), got '${flags.code}'`);
      }
      const api = checkedUrl('--api', flags.api);
      const request = await signProof(invitationId);
      let response: Response;
      try {
        response = await fetch(api, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code: flags.code, request }),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (error) {
        throw new RegistrationFailedError(`the register URL ${api} did not answer`, { cause: error });
      }
      const text = await response.text();
      const body = parseJson(text);
      if (!response.ok) {
        const message = typeof body?.message === 'string' ? body.message : text.slice(0, 500);
        throw new RegistrationFailedError(`registration refused (HTTP ${response.status}): ${message}`);
      }
      const registered = body as unknown as Registered;
      if (flags.json) {
        printJson(registered);
        return;
      }
      printLine(
        `registered: account ${registered.account} may connect to ${registered.serviceId} until ${registered.acceptedUntil}`,
      );
      printLine('create your endpoint with:');
      printLine(
        `  aws ec2 create-vpc-endpoint --vpc-endpoint-type Interface --service-name ${registered.serviceName} --vpc-id VPC --subnet-ids SUBNET…`,
      );
    });
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
