import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stsEndpoints } from '../../../functions/core/registration/sts-endpoints.ts';
import {
  checkStsProof,
  INVITATION_HEADER,
  ProofRejectedError,
} from '../../../functions/core/registration/sts-request.ts';

const NOW = new Date('2026-12-01T10:00:00Z');
const INVITATION = 'inv-0123456789abcdef';
const endpoints = stsEndpoints();
const policy = { endpoints, now: NOW, invitationId: INVITATION };
const SIGNATURE = 'a'.repeat(64);

/** A well-formed proof (the signature itself is for STS to judge, not these checks). */
function proof(
  overrides: Record<string, unknown> = {},
  headerOverrides: Record<string, string | undefined> = {},
) {
  const headers: Record<string, string | undefined> = {
    host: 'sts.eu-west-1.amazonaws.com',
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    'x-amz-date': '20261201T095930Z',
    [INVITATION_HEADER]: INVITATION,
    authorization: `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261201/eu-west-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date;${INVITATION_HEADER}, Signature=${SIGNATURE}`,
    ...headerOverrides,
  };
  return {
    method: 'POST',
    url: 'https://sts.eu-west-1.amazonaws.com/',
    headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)),
    body: 'Action=GetCallerIdentity&Version=2011-06-15',
    ...overrides,
  };
}

function problemOf(raw: unknown, options = policy): string {
  try {
    checkStsProof(raw, options);
  } catch (error) {
    if (error instanceof ProofRejectedError) return error.problem;
    throw error;
  }
  return 'accepted';
}

describe('checkStsProof', () => {
  it('passes a proof to a regional STS endpoint, forwarding exactly the signed headers and the authorization', () => {
    const checked = checkStsProof(proof({}, { 'user-agent': 'unsigned' }), policy);
    expect(checked).toMatchObject({
      method: 'POST',
      url: 'https://sts.eu-west-1.amazonaws.com/',
      region: 'eu-west-1',
      accessKeyId: 'AKIAEXAMPLE',
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(Object.keys(checked.headers).sort()).toEqual(
      ['authorization', 'content-type', 'x-amz-date', INVITATION_HEADER].sort(),
    );
  });

  it('passes the global endpoint signed for us-east-1, and a GET with the parameters in the query', () => {
    const global = proof(
      { url: 'https://sts.amazonaws.com/' },
      {
        host: 'sts.amazonaws.com',
        authorization: `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261201/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date;${INVITATION_HEADER}, Signature=${SIGNATURE}`,
      },
    );
    expect(problemOf(global)).toBe('accepted');
    const get = proof(
      {
        method: 'GET',
        body: '',
        url: 'https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15',
      },
      {
        'content-type': undefined,
        authorization: `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261201/eu-west-1/sts/aws4_request, SignedHeaders=host;x-amz-date;${INVITATION_HEADER}, Signature=${SIGNATURE}`,
      },
    );
    expect(problemOf(get)).toBe('accepted');
    // A header the signature names must be there to send, or STS could never check it.
    expect(
      problemOf({ ...get, headers: { ...get.headers, authorization: proof().headers.authorization } }),
    ).toBe('unsigned');
  });

  it.each([
    ['a look-alike host', 'https://sts.amazonaws.com.evil.com/'],
    ['a look-alike regional host', 'https://sts.eu-west-1.amazonaws.com.evil.com/'],
    ['STS named only in the query', 'https://evil.com/?x=sts.amazonaws.com'],
    ['user information before another host', 'https://sts.amazonaws.com@evil.com/'],
    ['user information before the STS host', 'https://evil.com@sts.eu-west-1.amazonaws.com/'],
    ['an IPv4 address', 'https://52.94.0.1/'],
    ['an IPv6 address', 'https://[::1]/'],
    ['the metadata service', 'http://169.254.169.254/'],
    ['http to AWS', 'http://sts.eu-west-1.amazonaws.com/'],
    ['another port', 'https://sts.eu-west-1.amazonaws.com:8443/'],
    ['a trailing-dot host', 'https://sts.eu-west-1.amazonaws.com./'],
    ['an unknown region', 'https://sts.xx-fake-1.amazonaws.com/'],
    ['another path', 'https://sts.eu-west-1.amazonaws.com/redirect'],
    ['a fragment', 'https://sts.eu-west-1.amazonaws.com/#x'],
    ['not a URL', 'sts.eu-west-1.amazonaws.com'],
  ])('refuses %s as not STS', (_name, url) => {
    expect(problemOf(proof({ url }))).toBe('not-sts');
  });

  it('refuses a request signed for another region or service than the endpoint takes', () => {
    const region = proof(
      {},
      {
        authorization: `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261201/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date;${INVITATION_HEADER}, Signature=${SIGNATURE}`,
      },
    );
    expect(problemOf(region)).toBe('not-sts');
    const service = proof(
      {},
      {
        authorization: `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261201/eu-west-1/iam/aws4_request, SignedHeaders=host;x-amz-date;${INVITATION_HEADER}, Signature=${SIGNATURE}`,
      },
    );
    expect(problemOf(service)).toBe('not-sts');
    expect(problemOf(proof({}, { host: 'evil.com' }))).toBe('not-sts');
  });

  it.each([
    ['another action', 'Action=AssumeRole&Version=2011-06-15'],
    ['the action twice', 'Action=GetCallerIdentity&Action=GetCallerIdentity&Version=2011-06-15'],
    ['a second action smuggled', 'Action=GetCallerIdentity&Action=AssumeRole&Version=2011-06-15'],
    ['an extra parameter', 'Action=GetCallerIdentity&Version=2011-06-15&RoleArn=x'],
    ['no action', 'Version=2011-06-15'],
    ['another version', 'Action=GetCallerIdentity&Version=2099-01-01'],
    ['the action in another case', 'action=GetCallerIdentity&Version=2011-06-15'],
  ])('refuses a body with %s', (_name, body) => {
    expect(problemOf(proof({ body }))).toBe('not-get-caller-identity');
  });

  it('refuses parameters in the query of a POST, and a GET with a body', () => {
    expect(problemOf(proof({ url: 'https://sts.eu-west-1.amazonaws.com/?Action=AssumeRole' }))).toBe(
      'not-get-caller-identity',
    );
    const get = proof({
      method: 'GET',
      url: 'https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(problemOf(get)).toBe('not-get-caller-identity');
    expect(problemOf(proof({}, { 'content-type': 'application/json' }))).toBe('not-get-caller-identity');
  });

  it('refuses a request that is not signed with SigV4 or whose signature does not cover host, date and invitation', () => {
    expect(problemOf(proof({}, { authorization: undefined }))).toBe('unsigned');
    expect(problemOf(proof({}, { authorization: 'Basic dXNlcjpwYXNz' }))).toBe('unsigned');
    expect(
      problemOf(
        proof(
          {},
          {
            authorization: `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261201/eu-west-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIGNATURE}`,
          },
        ),
      ),
    ).toBe('unsigned');
    expect(problemOf(proof({}, { [INVITATION_HEADER]: 'inv-ffffffffffffffff' }))).toBe('unsigned');
  });

  it('refuses a proof signed more than five minutes from now, either way', () => {
    expect(problemOf(proof({}, { 'x-amz-date': '20261201T095430Z' }))).toBe('stale');
    expect(problemOf(proof({}, { 'x-amz-date': '20261201T100530Z' }))).toBe('stale');
    expect(problemOf(proof({}, { 'x-amz-date': '20261201T095500Z' }))).toBe('accepted');
    expect(problemOf(proof({}, { 'x-amz-date': 'yesterday' }))).toBe('unsigned');
  });

  it('refuses headers given twice in different case and header values with line breaks', () => {
    expect(problemOf(proof({}, { 'X-Amz-Date': '20261201T095930Z' }))).toBe('malformed');
    expect(problemOf(proof({}, { 'x-extra': 'a\r\nHost: evil.com' }))).toBe('malformed');
  });

  it('allows a configured local origin, and only that one', () => {
    const local = { ...policy, endpoints: stsEndpoints(['http://127.0.0.1:4566']) };
    const toLocal = proof(
      { url: 'http://127.0.0.1:4566/' },
      {
        host: '127.0.0.1:4566',
        authorization: `AWS4-HMAC-SHA256 Credential=111111111111/20261201/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date;${INVITATION_HEADER}, Signature=${SIGNATURE}`,
      },
    );
    expect(problemOf(toLocal, local)).toBe('accepted');
    expect(problemOf(toLocal)).toBe('not-sts');
    expect(problemOf(proof({ url: 'http://127.0.0.1:4567/' }, { host: '127.0.0.1:4567' }), local)).toBe(
      'not-sts',
    );
  });

  it('never passes a URL whose origin is not an allowed STS endpoint (property)', () => {
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: true, withFragments: true }),
        fc.string(),
        (url, suffix) => {
          for (const candidate of [
            url,
            `${url}${suffix}`,
            `https://sts.amazonaws.com.${suffix}`,
            `https://${suffix}@sts.amazonaws.com/`,
          ]) {
            let checked: ReturnType<typeof checkStsProof> | undefined;
            try {
              checked = checkStsProof(proof({ url: candidate }, { host: undefined }), policy);
            } catch (error) {
              if (!(error instanceof ProofRejectedError)) throw error;
            }
            if (checked !== undefined) {
              expect(endpoints.has(new URL(checked.url).origin)).toBe(true);
              expect(new URL(checked.url).protocol).toBe('https:');
              expect(new URL(checked.url).username).toBe('');
            }
          }
        },
      ),
    );
  });

  it('never passes a body other than exactly Action=GetCallerIdentity and Version (property)', () => {
    const param = fc.tuple(
      fc.constantFrom('Action', 'Version', 'RoleArn', 'action', 'Action ', 'X'),
      fc.constantFrom('GetCallerIdentity', '2011-06-15', 'AssumeRole', ''),
    );
    fc.assert(
      fc.property(fc.array(param, { maxLength: 5 }), (params) => {
        const body = new URLSearchParams(params).toString();
        const outcome = problemOf(proof({ body }));
        const search = new URLSearchParams(body);
        const exact =
          [...search.keys()].every((k) => k === 'Action' || k === 'Version') &&
          search.getAll('Action').join() === 'GetCallerIdentity' &&
          search.getAll('Version').join() === '2011-06-15';
        expect(outcome === 'accepted').toBe(exact);
      }),
    );
  });

  it('throws ProofRejectedError, never anything else, for arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.anything(), (raw) => {
        expect(['malformed', 'not-sts', 'not-get-caller-identity', 'unsigned', 'stale']).toContain(
          problemOf(raw),
        );
      }),
    );
  });
});

describe('stsEndpoints', () => {
  it('holds only https STS hosts of the aws partition, and refuses a configured origin that is more than an origin', () => {
    for (const origin of stsEndpoints().keys())
      expect(origin).toMatch(/^https:\/\/sts(\.[a-z]{2}(-[a-z]+)+-\d)?\.amazonaws\.com$/);
    expect(() => stsEndpoints(['http://127.0.0.1:4566/path'])).toThrow(/bare origin/);
    expect(() => stsEndpoints(['http://user@127.0.0.1:4566'])).toThrow(/bare origin/);
  });
});
