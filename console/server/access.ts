/**
 * Who may use the console, judged on every request before anything else (pure: a request's
 * method, headers and URL in, a verdict out). The console listens on loopback, but a page
 * on another site, or a DNS-rebinding page posing as 127.0.0.1, can still reach it from the
 * operator's own browser; so:
 *  - the Host header must name this console (127.0.0.1:PORT or localhost:PORT): a rebound
 *    name never does;
 *  - a random token per run, given in the URL printed at start, is exchanged once for an
 *    HttpOnly SameSite=Strict cookie, and that cookie is required on every request;
 *  - a change (POST) also needs a second token the page itself carries (the CSRF token),
 *    a JSON body, and no Origin or fetch site other than this console's own.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** Cookies are kept per host, not per port: each console's cookie names its port, so two consoles do not sign each other out. */
export const sessionCookie = (port: number): string => `plgate-console-${port}`;
export const CSRF_HEADER = 'x-plgate-csrf';

export interface ConsoleSecrets {
  /** In the printed URL, then in the session cookie. */
  session: string;
  /** In the page (a meta element), sent back with every POST. */
  csrf: string;
}

export function newSecrets(): ConsoleSecrets {
  return { session: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url') };
}

export interface AccessRequest {
  method: string;
  /** The request target as sent: path and query. */
  url: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

export type AccessVerdict =
  /** Go on and answer it. */
  | { kind: 'allow' }
  /** The token in the URL is right: set the cookie and send the browser to the clean URL. */
  | { kind: 'sign-in'; setCookie: string; location: string }
  | { kind: 'refuse'; status: 401 | 403 | 405; message: string };

export function judgeAccess(request: AccessRequest, secrets: ConsoleSecrets, port: number): AccessVerdict {
  const host = header(request, 'host');
  if (host === undefined || !allowedHosts(port).has(host.toLowerCase())) {
    return refuse(403, `this console answers only at 127.0.0.1:${port} or localhost:${port}`);
  }
  if (request.method !== 'GET' && request.method !== 'POST') {
    return refuse(405, `method ${request.method} is not served here`);
  }
  const url = new URL(request.url, `http://${host}`);
  const offered = url.searchParams.get('token');
  if (offered !== null && request.method === 'GET' && url.pathname === '/') {
    if (!same(offered, secrets.session)) return refuse(403, 'that token is not this console’s');
    return {
      kind: 'sign-in',
      setCookie: `${sessionCookie(port)}=${secrets.session}; HttpOnly; SameSite=Strict; Path=/`,
      location: '/',
    };
  }
  const cookie = cookieValue(header(request, 'cookie'), sessionCookie(port));
  if (cookie === undefined || !same(cookie, secrets.session)) {
    return refuse(401, 'open the URL `plgate console` printed (it carries this run’s token)');
  }
  if (request.method === 'POST') {
    const csrf = header(request, CSRF_HEADER);
    if (csrf === undefined || !same(csrf, secrets.csrf)) {
      return refuse(403, `a change needs the page's ${CSRF_HEADER} header`);
    }
    const origin = header(request, 'origin');
    if (origin !== undefined && origin.toLowerCase() !== `http://${host.toLowerCase()}`) {
      return refuse(403, `a change from another origin (${origin}) is refused`);
    }
    const site = header(request, 'sec-fetch-site');
    if (site !== undefined && site !== 'same-origin') {
      return refuse(403, `a change from a ${site} page is refused`);
    }
    const type = header(request, 'content-type');
    if (type === undefined || type.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
      return refuse(403, 'a change must be sent as application/json');
    }
  }
  return { kind: 'allow' };
}

function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

function refuse(status: 401 | 403 | 405, message: string): AccessVerdict {
  return { kind: 'refuse', status, message };
}

function header(request: AccessRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(cookies: string | undefined, name: string): string | undefined {
  for (const part of (cookies ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Compares in constant time, so a token cannot be guessed a character at a time. */
function same(offered: string, expected: string): boolean {
  const a = Buffer.from(offered);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Headers on every answer: nothing loads from elsewhere, nothing inline runs, nothing is kept. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};
