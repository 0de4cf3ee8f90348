/**
 * Where a proof of account may be sent: STS's own endpoints in the `aws` partition, and
 * nothing else. The list is fixed here, not derived from the request, so a signed request
 * can never turn the register function into a client of an address the caller chose.
 */

/** Regions of the `aws` partition that have a regional STS endpoint (sts.REGION.amazonaws.com). */
export const STS_REGIONS = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
] as const;

/** The global endpoint signs with us-east-1. */
export const GLOBAL_STS_HOST = 'sts.amazonaws.com';

/** Host -> the region a request to it must be signed for. */
const AWS_STS_HOSTS: ReadonlyMap<string, string> = new Map([
  [GLOBAL_STS_HOST, 'us-east-1'],
  ...STS_REGIONS.map((region): [string, string] => [`sts.${region}.amazonaws.com`, region]),
]);

export interface StsEndpoint {
  /** `https://sts.eu-west-1.amazonaws.com`, or a configured local origin. */
  origin: string;
  /** The region the credential scope must name; undefined: any (a configured local cloud). */
  region?: string;
}

export class StsEndpointConfigError extends Error {
  override name = 'StsEndpointConfigError';
}

/**
 * The endpoints a register function may send proofs to: AWS STS over https, plus the
 * origins its own configuration names (the local cloud's edge, `http://127.0.0.1:4566`).
 * Extra origins come from the function's environment only, never from a request.
 */
export function stsEndpoints(extraOrigins: readonly string[] = []): ReadonlyMap<string, StsEndpoint> {
  const endpoints = new Map<string, StsEndpoint>();
  for (const [host, region] of AWS_STS_HOSTS) {
    endpoints.set(`https://${host}`, { origin: `https://${host}`, region });
  }
  for (const raw of extraOrigins) {
    if (!URL.canParse(raw)) throw new StsEndpointConfigError(`extra STS origin: not a URL: "${raw}"`);
    const url = new URL(raw);
    if (url.origin !== raw.replace(/\/$/, '') || url.username !== '' || url.password !== '') {
      throw new StsEndpointConfigError(
        `extra STS origin: must be a bare origin like http://127.0.0.1:4566, got "${raw}"`,
      );
    }
    endpoints.set(url.origin, { origin: url.origin });
  }
  return endpoints;
}
