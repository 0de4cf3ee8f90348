/**
 * Who is calling, for the ledger's `actor`: the ARN STS gives for the caller's
 * credentials. In `plgate local`, whose keys are not IAM identities, the access key id
 * says who acted when STS is not there to ask.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

export async function callerArn(options: {
  region: string | (() => Promise<string>) | undefined;
  credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  local: boolean;
  /** Where STS answers, when not where the SDK's defaults say (the local cloud's edge port). */
  endpoint?: string;
}): Promise<string> {
  const sts = new STSClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    credentials: options.credentials,
    // One quick try: an actor is worth a line in the ledger, not a stalled command.
    maxAttempts: 1,
  });
  try {
    const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
    if (Arn) return Arn;
  } catch {
    // Fall through: the ledger still says who, as well as can be told.
  } finally {
    sts.destroy();
  }
  if (options.local) return `local:${(await options.credentials()).accessKeyId}`;
  return 'unknown';
}
