/** The console's gate on every request: Host, the run's token and its cookie, and what a change needs. */
import { describe, expect, it } from 'vitest';
import {
  type AccessRequest,
  CSRF_HEADER,
  cookieValue,
  judgeAccess,
  newSecrets,
  SECURITY_HEADERS,
  sessionCookie,
} from '../../../console/server/access.ts';

const PORT = 4680;
const secrets = newSecrets();
const signedIn = { host: `127.0.0.1:${PORT}`, cookie: `${sessionCookie(PORT)}=${secrets.session}` };
const change = {
  ...signedIn,
  [CSRF_HEADER]: secrets.csrf,
  'content-type': 'application/json',
  origin: `http://127.0.0.1:${PORT}`,
  'sec-fetch-site': 'same-origin',
};
const judge = (request: Partial<AccessRequest>) =>
  judgeAccess({ method: 'GET', url: '/', headers: {}, ...request }, secrets, PORT);

describe('Host', () => {
  it.each([`127.0.0.1:${PORT}`, `localhost:${PORT}`, `LOCALHOST:${PORT}`])('answers at %s', (host) => {
    expect(judge({ url: '/api/requests', headers: { ...signedIn, host } })).toEqual({ kind: 'allow' });
  });

  it.each([
    undefined,
    'attacker.example',
    `attacker.example:${PORT}`,
    `127.0.0.1:${PORT + 1}`,
    '127.0.0.1',
    `[::1]:${PORT}`,
  ])('refuses Host %s, token or not (a DNS-rebinding page)', (host) => {
    const verdict = judge({ url: `/?token=${secrets.session}`, headers: { ...signedIn, host } });
    expect(verdict).toMatchObject({ kind: 'refuse', status: 403 });
  });
});

describe('the token', () => {
  it('in the URL is exchanged for an HttpOnly SameSite=Strict cookie, and the browser sent to the clean URL', () => {
    const verdict = judge({ url: `/?token=${secrets.session}`, headers: { host: signedIn.host } });
    expect(verdict).toEqual({
      kind: 'sign-in',
      setCookie: `${sessionCookie(PORT)}=${secrets.session}; HttpOnly; SameSite=Strict; Path=/`,
      location: '/',
    });
  });

  it('of another console on this host (another port) is not this one’s', () => {
    const cookie = `${sessionCookie(PORT + 1)}=${secrets.session}`;
    expect(judge({ url: '/api/requests', headers: { host: signedIn.host, cookie } })).toMatchObject({
      status: 401,
    });
  });

  it('that is not this run’s is refused', () => {
    const other = newSecrets();
    expect(judge({ url: `/?token=${other.session}`, headers: { host: signedIn.host } })).toMatchObject({
      kind: 'refuse',
      status: 403,
    });
  });

  it.each(['/', '/api/requests', '/api/events', '/static/app.js'])(
    'is required on every request: %s without the cookie is 401',
    (url) => {
      expect(judge({ url, headers: { host: signedIn.host } })).toMatchObject({ kind: 'refuse', status: 401 });
      const wrong = `${sessionCookie(PORT)}=${newSecrets().session}`;
      expect(judge({ url, headers: { host: signedIn.host, cookie: wrong } })).toMatchObject({ status: 401 });
    },
  );

  it('is not taken from a query on any other path or method', () => {
    expect(
      judge({ url: `/api/requests?token=${secrets.session}`, headers: { host: signedIn.host } }),
    ).toMatchObject({ status: 401 });
    expect(
      judge({ method: 'POST', url: `/?token=${secrets.session}`, headers: { host: signedIn.host } }),
    ).toMatchObject({ status: 401 });
  });

  it('the run’s secrets are 256 random bits each, different every run', () => {
    const a = newSecrets();
    const b = newSecrets();
    expect(Buffer.from(a.session, 'base64url')).toHaveLength(32);
    expect(Buffer.from(a.csrf, 'base64url')).toHaveLength(32);
    expect(new Set([a.session, a.csrf, b.session, b.csrf]).size).toBe(4);
  });
});

describe('a change (POST)', () => {
  const post = (headers: Record<string, string | undefined>) =>
    judge({ method: 'POST', url: '/api/decide', headers });

  it('is allowed with the cookie, the CSRF header, JSON, and this origin', () => {
    expect(post(change)).toEqual({ kind: 'allow' });
    expect(post({ ...change, 'content-type': 'application/json; charset=utf-8' })).toEqual({ kind: 'allow' });
    // A browser may leave Origin and Sec-Fetch-Site out of a same-origin request.
    expect(post({ ...change, origin: undefined, 'sec-fetch-site': undefined })).toEqual({ kind: 'allow' });
  });

  it.each([
    ['no CSRF header', { [CSRF_HEADER]: undefined }],
    ['the session token as CSRF token', { [CSRF_HEADER]: secrets.session }],
    ['another origin', { origin: 'http://attacker.example' }],
    ['a cross-site fetch', { 'sec-fetch-site': 'cross-site' }],
    ['a form post', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['plain text', { 'content-type': 'text/plain' }],
  ])('is refused with %s', (_, changed) => {
    expect(post({ ...change, ...changed })).toMatchObject({ kind: 'refuse', status: 403 });
  });

  it('is refused without the cookie, whatever else it carries', () => {
    expect(post({ ...change, cookie: undefined })).toMatchObject({ status: 401 });
  });

  it('other methods are not served', () => {
    for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      expect(judge({ method, url: '/api/decide', headers: change })).toMatchObject({ status: 405 });
    }
  });
});

describe('cookies and headers', () => {
  it('reads one cookie among several', () => {
    expect(cookieValue('a=1; plgate-console=xyz; b=2', 'plgate-console')).toBe('xyz');
    expect(cookieValue('plgate-console-x=1', 'plgate-console')).toBeUndefined();
    expect(cookieValue(undefined, 'plgate-console')).toBeUndefined();
  });

  it('the policy lets no inline script, no other origin, no framing', () => {
    const csp = SECURITY_HEADERS['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(SECURITY_HEADERS['referrer-policy']).toBe('no-referrer');
  });
});
