/**
 * The consumer's side of registering: an sts:GetCallerIdentity request signed with the
 * consumer's own credentials (SigV4, the SDK's signer) and bound to one invitation by a
 * signed header. It is handed over, not sent: the register function sends it to STS,
 * and STS says whose it is. The secret never leaves this process.
 */
import { STSClient } from '@aws-sdk/client-sts';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { GLOBAL_STS_HOST, STS_REGIONS } from '../functions/core/registration/sts-endpoints.ts';
import { INVITATION_HEADER, STS_API_VERSION } from '../functions/core/registration/sts-request.ts';

export interface SignedProof {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** STS for the consumer's region: AWS_ENDPOINT_URL(_STS) when set (plgate local), else sts.REGION.amazonaws.com. */
export function stsUrlFor(
  region: string,
  env: NodeJS.ProcessEnv = process.env,
): { url: URL; region: string } {
  const configured = env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL;
  if (configured) return { url: new URL('/', configured), region };
  if ((STS_REGIONS as readonly string[]).includes(region)) {
    return { url: new URL(`https://sts.${region}.amazonaws.com/`), region };
  }
  return { url: new URL(`https://${GLOBAL_STS_HOST}/`), region: 'us-east-1' };
}

export interface ProofOptions {
  /** Default: the SDK's default credential chain (env, profile, SSO, role…). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  region?: string;
  env?: NodeJS.ProcessEnv;
  /** When the proof is signed; default now. */
  signingDate?: Date;
}

/** Signs the proof for an invitation with the consumer's credentials. */
export async function signProof(invitationId: string, options: ProofOptions = {}): Promise<SignedProof> {
  const env = options.env ?? process.env;
  const sts = new STSClient({
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.region ? { region: options.region } : {}),
  });
  try {
    const configuredRegion = await sts.config.region().catch(() => undefined);
    const { url, region } = stsUrlFor(configuredRegion ?? 'us-east-1', env);
    const signer = new SignatureV4({
      credentials: sts.config.credentials,
      region,
      service: 'sts',
      sha256: Hash.bind(null, 'sha256'),
    });
    const body = `Action=GetCallerIdentity&Version=${STS_API_VERSION}`;
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: '/',
        query: {},
        headers: {
          host: url.host,
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          [INVITATION_HEADER]: invitationId,
        },
        body,
      },
      options.signingDate ? { signingDate: options.signingDate } : {},
    );
    return { method: 'POST', url: url.href, headers: { ...signed.headers }, body };
  } finally {
    sts.destroy();
  }
}
