/**
 * SigV4 verification for the local STS, so that a proof of account made with the wrong
 * secret, or tampered with after signing, is refused as AWS STS would refuse it. The
 * local cloud knows a secret only for the access keys it was told about
 * (`LocalCloudOptions.secrets`); any other key signs with any secret, as everywhere else
 * in the local cloud. Every signature is checked for age (15 minutes, as AWS does).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_MAX_AGE_MS = 15 * 60_000;

export interface SignedHttpRequest {
  method: string;
  /** Path and query as received. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export type SignatureFault = { code: 'SignatureDoesNotMatch' | 'IncompleteSignature'; message: string };

const sha256 = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding, as SigV4 canonicalises. */
const encode = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Undefined when the request's signature holds (or cannot be checked for want of a secret); else what is wrong. */
export function signatureFault(
  request: SignedHttpRequest,
  secretOf: (accessKeyId: string) => string | undefined,
  now: Date,
): SignatureFault | undefined {
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  const authorization = header('authorization') ?? '';
  const match =
    /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(
      authorization.trim(),
    );
  if (match === null) {
    return {
      code: 'IncompleteSignature',
      message: 'Authorization header is not AWS4-HMAC-SHA256 Credential, SignedHeaders, Signature',
    };
  }
  const [, credential = '', signedList = '', signature = ''] = match;
  const amzDate = header('x-amz-date') ?? '';
  const time = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (time === null)
    return { code: 'IncompleteSignature', message: 'X-Amz-Date is missing or not YYYYMMDDTHHMMSSZ' };
  const [, y, mo, d, h, mi, s] = time.map(Number);
  const signedAt = Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s);
  if (Math.abs(now.getTime() - signedAt) > SIGNATURE_MAX_AGE_MS) {
    return {
      code: 'SignatureDoesNotMatch',
      message: `Signature expired: ${amzDate} is now earlier than ${new Date(now.getTime() - SIGNATURE_MAX_AGE_MS).toISOString()} or later than ${new Date(now.getTime() + SIGNATURE_MAX_AGE_MS).toISOString()}`,
    };
  }
  const [accessKeyId = '', ...scopeParts] = credential.split('/');
  const secret = secretOf(accessKeyId);
  if (secret === undefined) return undefined;

  const signedHeaders = signedList.split(';');
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${(header(name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const [path = '/', query = ''] = request.path.split('?', 2);
  const canonicalQuery = [...new URLSearchParams(query)]
    .map(([key, value]) => [encode(key), encode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalRequest = [
    request.method,
    path,
    canonicalQuery,
    canonicalHeaders,
    signedList,
    header('x-amz-content-sha256') ?? sha256(request.body),
  ].join('\n');
  const scope = scopeParts.join('/');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${secret}`, scopeParts[0] ?? '');
  for (const part of scopeParts.slice(1)) key = hmac(key, part);
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (expected.length === given.length && timingSafeEqual(expected, given)) return undefined;
  return {
    code: 'SignatureDoesNotMatch',
    message:
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
  };
}
