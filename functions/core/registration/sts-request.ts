/**
 * The checks on a signed `sts:GetCallerIdentity` request that a consumer hands over as
 * proof of its account, before the register function sends it on to STS. Whoever sends
 * it chooses every byte, so each check is an allow-list: the endpoint is one of STS's
 * own (sts-endpoints.ts), the request is GetCallerIdentity with no other parameter, it is
 * signed with SigV4 for STS in the endpoint's region, it is fresh, and its signature
 * covers a header that binds it to one invitation (a proof captured in transit cannot
 * redeem any other code). What the request proves is decided by STS alone.
 */
import type { StsEndpoint } from './sts-endpoints.ts';

export const STS_API_VERSION = '2011-06-15';
/** The signed header that binds a proof to one invitation; its value is the invitation id. */
export const INVITATION_HEADER = 'x-plgate-invitation';
/**
 * How far X-Amz-Date may be from the verifier's clock. STS itself allows 15 minutes; a
 * proof is made seconds before it is sent, so 5 minutes leaves room for clock skew and
 * shortens the time a captured proof is worth anything.
 */
export const FRESHNESS_MS = 5 * 60_000;

const MAX_URL = 2048;
const MAX_BODY = 1024;
const MAX_HEADERS = 32;
const MAX_HEADER_VALUE = 8192;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** Headers the HTTP client sets itself; they are never forwarded as given. */
const CLIENT_SET = new Set(['host', 'content-length', 'connection', 'transfer-encoding']);

export type ProofProblem = 'malformed' | 'not-sts' | 'not-get-caller-identity' | 'unsigned' | 'stale';

/** Why a signed request is not a proof the gate will send on. */
export class ProofRejectedError extends Error {
  override name = 'ProofRejectedError';
  constructor(
    readonly problem: ProofProblem,
    message: string,
  ) {
    super(message);
  }
}

/** A request that passed every check, in the form it is sent to STS. */
export interface CheckedStsRequest {
  method: 'POST' | 'GET';
  url: string;
  headers: Record<string, string>;
  body: string;
  accessKeyId: string;
  region: string;
}

export interface ProofPolicy {
  /** Allowed STS endpoints by origin (sts-endpoints.ts). */
  endpoints: ReadonlyMap<string, StsEndpoint>;
  now: Date;
  /** The invitation the proof must be bound to (the value of INVITATION_HEADER). */
  invitationId: string;
}

function fail(problem: ProofProblem, message: string): never {
  throw new ProofRejectedError(problem, message);
}

/** Checks a proof (`{method, url, headers, body}`) and returns it ready to send, or throws ProofRejectedError. */
export function checkStsProof(raw: unknown, policy: ProofPolicy): CheckedStsRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail('malformed', 'request: must be an object {method, url, headers, body}');
  }
  const { method, url, headers, body } = raw as Record<string, unknown>;
  if (method !== 'POST' && method !== 'GET') {
    return fail('malformed', `request.method: must be POST or GET, got ${JSON.stringify(method)}`);
  }
  if (typeof url !== 'string' || url.length > MAX_URL) {
    return fail('malformed', `request.url: must be a URL of at most ${MAX_URL} characters`);
  }
  const text = body ?? '';
  if (typeof text !== 'string' || text.length > MAX_BODY) {
    return fail('malformed', `request.body: must be a string of at most ${MAX_BODY} characters`);
  }
  const given = headersOf(headers);

  const target = stsTarget(url, policy.endpoints);
  checkParameters(method, target.url, text, given);
  const signature = checkSignature(given, target, policy);

  const forwarded: Record<string, string> = { authorization: signature.authorization };
  for (const name of signature.signedHeaders) {
    if (CLIENT_SET.has(name)) continue;
    const value = given.get(name);
    if (value === undefined) {
      return fail(
        'unsigned',
        `request.headers: SignedHeaders names '${name}' but the request has no such header`,
      );
    }
    forwarded[name] = value;
  }
  return {
    method,
    url: target.url.href,
    headers: forwarded,
    body: method === 'POST' ? text : '',
    accessKeyId: signature.accessKeyId,
    region: signature.region,
  };
}

function headersOf(raw: unknown): Map<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail('malformed', 'request.headers: must be an object of header names to string values');
  }
  const entries = Object.entries(raw);
  if (entries.length > MAX_HEADERS) {
    return fail('malformed', `request.headers: at most ${MAX_HEADERS} headers, got ${entries.length}`);
  }
  const headers = new Map<string, string>();
  for (const [name, value] of entries) {
    if (!TOKEN.test(name)) return fail('malformed', `request.headers: '${name}' is not a header name`);
    if (typeof value !== 'string' || value.length > MAX_HEADER_VALUE || /[\r\n\0]/.test(value)) {
      return fail('malformed', `request.headers.${name}: must be a one-line string`);
    }
    const lower = name.toLowerCase();
    if (headers.has(lower)) return fail('malformed', `request.headers: '${lower}' is given twice`);
    headers.set(lower, value);
  }
  return headers;
}

interface StsTarget {
  url: URL;
  endpoint: StsEndpoint;
}

/** The URL must be an allowed STS origin with path `/`, nothing more. */
function stsTarget(raw: string, endpoints: ReadonlyMap<string, StsEndpoint>): StsTarget {
  if (!URL.canParse(raw)) return fail('not-sts', `request.url: not a URL: ${JSON.stringify(raw)}`);
  const url = new URL(raw);
  if (url.username !== '' || url.password !== '') {
    return fail('not-sts', `request.url: must not carry user information, got ${JSON.stringify(raw)}`);
  }
  const endpoint = endpoints.get(url.origin);
  if (endpoint === undefined) {
    return fail(
      'not-sts',
      `request.url: ${JSON.stringify(url.origin)} is not an STS endpoint (https://sts.amazonaws.com or https://sts.REGION.amazonaws.com)`,
    );
  }
  if (url.pathname !== '/' || url.hash !== '') {
    return fail('not-sts', `request.url: the path must be /, got ${JSON.stringify(url.pathname + url.hash)}`);
  }
  return { url, endpoint };
}

/** Exactly Action=GetCallerIdentity and Version, once each, in the body of a POST or the query of a GET. */
function checkParameters(method: 'POST' | 'GET', url: URL, body: string, headers: Map<string, string>): void {
  let params: URLSearchParams;
  if (method === 'POST') {
    if (url.search !== '') {
      fail(
        'not-get-caller-identity',
        'request.url: a POST proof carries its parameters in the body, not the query',
      );
    }
    const type = (headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      fail(
        'not-get-caller-identity',
        `request.headers.content-type: must be application/x-www-form-urlencoded, got ${JSON.stringify(type ?? '')}`,
      );
    }
    params = new URLSearchParams(body);
  } else {
    if (body !== '') fail('not-get-caller-identity', 'request.body: a GET proof has no body');
    params = url.searchParams;
  }
  const names = [...params.keys()];
  const unexpected = names.filter((name) => name !== 'Action' && name !== 'Version');
  if (unexpected.length > 0) {
    fail(
      'not-get-caller-identity',
      `request: only Action and Version may be given, got ${unexpected.map((n) => JSON.stringify(n)).join(', ')}`,
    );
  }
  const actions = params.getAll('Action');
  if (actions.length !== 1 || actions[0] !== 'GetCallerIdentity') {
    fail(
      'not-get-caller-identity',
      `request: Action must be GetCallerIdentity, once; got ${JSON.stringify(actions)}`,
    );
  }
  const versions = params.getAll('Version');
  if (versions.length !== 1 || versions[0] !== STS_API_VERSION) {
    fail(
      'not-get-caller-identity',
      `request: Version must be ${STS_API_VERSION}, once; got ${JSON.stringify(versions)}`,
    );
  }
}

interface Signature {
  authorization: string;
  signedHeaders: string[];
  accessKeyId: string;
  region: string;
}

/** A SigV4 Authorization header for STS in the endpoint's region, fresh, covering host, date and the invitation. */
function checkSignature(headers: Map<string, string>, target: StsTarget, policy: ProofPolicy): Signature {
  const authorization = headers.get('authorization');
  if (authorization === undefined) {
    return fail('unsigned', 'request.headers.authorization: missing; the proof must be signed with SigV4');
  }
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^,\s]+), ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (match === null) {
    return fail(
      'unsigned',
      'request.headers.authorization: not a SigV4 header (AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…)',
    );
  }
  const [, credential = '', signedList = ''] = match;
  const [accessKeyId = '', scopeDate = '', region = '', service = '', terminator = '', ...rest] =
    credential.split('/');
  if (rest.length > 0 || terminator !== 'aws4_request' || !/^[A-Za-z0-9]{1,128}$/.test(accessKeyId)) {
    return fail(
      'unsigned',
      `request.headers.authorization: Credential ${JSON.stringify(credential)} is not KEY/DATE/REGION/sts/aws4_request`,
    );
  }
  if (service !== 'sts') {
    return fail(
      'not-sts',
      `request.headers.authorization: signed for service ${JSON.stringify(service)}, not sts`,
    );
  }
  if (target.endpoint.region !== undefined && region !== target.endpoint.region) {
    return fail(
      'not-sts',
      `request.headers.authorization: signed for region ${JSON.stringify(region)}, but ${target.url.host} takes ${target.endpoint.region}`,
    );
  }
  const signedHeaders = signedList.split(';');
  for (const required of ['host', 'x-amz-date', INVITATION_HEADER]) {
    if (!signedHeaders.includes(required)) {
      return fail('unsigned', `request.headers.authorization: SignedHeaders must include ${required}`);
    }
  }
  const host = headers.get('host');
  if (host !== undefined && host.toLowerCase() !== target.url.host) {
    return fail(
      'not-sts',
      `request.headers.host: ${JSON.stringify(host)} is not the host of the URL (${target.url.host})`,
    );
  }
  const bound = headers.get(INVITATION_HEADER);
  if (bound !== policy.invitationId) {
    return fail(
      'unsigned',
      `request.headers.${INVITATION_HEADER}: must be the invitation id ${policy.invitationId}, got ${JSON.stringify(bound ?? null)}`,
    );
  }
  const signedAt = amzDate(headers.get('x-amz-date'));
  if (scopeDate !== headers.get('x-amz-date')?.slice(0, 8)) {
    return fail(
      'unsigned',
      `request.headers.authorization: the credential date ${scopeDate} is not the day of x-amz-date`,
    );
  }
  const skew = Math.abs(policy.now.getTime() - signedAt);
  if (skew > FRESHNESS_MS) {
    return fail(
      'stale',
      `request.headers.x-amz-date: signed at ${new Date(signedAt).toISOString()}, more than ${FRESHNESS_MS / 60_000} minutes from now (${policy.now.toISOString()}); sign a new proof`,
    );
  }
  return { authorization, signedHeaders, accessKeyId, region };
}

function amzDate(value: string | undefined): number {
  const match = AMZ_DATE.exec(value ?? '');
  if (match === null) {
    return fail(
      'unsigned',
      `request.headers.x-amz-date: must be YYYYMMDDTHHMMSSZ, got ${JSON.stringify(value ?? null)}`,
    );
  }
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const time = Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s);
  const check = new Date(time);
  if (check.getUTCDate() !== d || check.getUTCHours() !== h || check.getUTCMinutes() !== mi) {
    return fail('unsigned', `request.headers.x-amz-date: ${JSON.stringify(value)} is not a real time`);
  }
  return time;
}
