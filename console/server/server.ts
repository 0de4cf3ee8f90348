/**
 * The console's HTTP server: loopback only, every request judged by access.ts first, the
 * page and its scripts from console/web, a JSON API over the gate, and the ledger's new
 * entries as server-sent events. It reads and acts through the commands' own code (the
 * adapters, `judge`, `decideAsOperator`) with the credentials it was started with.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GateTarget } from '../../cli/gate-target.ts';
import { actorOf, decideAsOperator } from '../../cli/operator-action.ts';
import { targetAdapters } from '../../cli/target-adapters.ts';
import { type ConsoleSecrets, judgeAccess, newSecrets, SECURITY_HEADERS } from './access.ts';
import {
  ConsoleInputError,
  decideInput,
  ledgerFilter,
  MAX_PAGE,
  whatIfInput,
  wholeNumber,
} from './api-input.ts';
import { fleetView } from './fleet-view.ts';
import { type FleetView, GateView } from './gate-view.ts';
import { CursorError, LedgerPages } from './ledger-pages.ts';
import { LedgerWatch } from './ledger-watch.ts';
import { renderPage } from './page.ts';

export interface ConsoleOptions {
  target: GateTarget;
  /** 0 (the default) takes a free port. */
  port?: number;
  /** Shows everything, changes nothing: no Approve or Deny on the page, none accepted. */
  readOnly?: boolean;
  /** The gate's region, for rules on regions (as AWS_REGION is to the commands). */
  region?: string;
  /** Who acts, for the ledger; asked of STS when absent. */
  actor?: string;
  /** A fleet's members, for the Fleet page; default: the target's (`target.fleet`), if it is a hub. */
  fleet?: FleetView;
  /** Between looks at the ledger for the live feed. */
  pollMs?: number;
  log?: (line: string) => void;
}

export interface RunningConsole {
  /** The URL to open, with this run's token. */
  url: string;
  port: number;
  actor: string;
  stop(): Promise<void>;
}

const WEB = new URL('../web/', import.meta.url);
const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
/** The most a request body may hold: a pasted describe output of many connections. */
const MAX_BODY = 1_000_000;
const KEEPALIVE_MS = 15_000;

/** The page's files, read once: no build step, nothing fetched from elsewhere. */
function webFiles(): Map<string, { type: string; body: Buffer }> {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(WEB)) {
    const type = TYPES[name.slice(name.lastIndexOf('.'))];
    if (type) files.set(`/static/${name}`, { type, body: readFileSync(new URL(name, WEB)) });
  }
  return files;
}

export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const { target } = options;
  const readOnly = options.readOnly === true;
  const log = options.log ?? (() => {});
  const adapters = targetAdapters(target);
  const fleet = options.fleet ?? (target.fleet ? fleetView(target.fleet) : undefined);
  const view = new GateView(adapters, {
    ...(options.region ? { region: options.region } : {}),
    ...(fleet ? { fleet } : {}),
  });
  const pages = new LedgerPages(target.clients.dynamodb, target.config.ledgerTable, () => view.serviceIds());
  const watch = new LedgerWatch(pages, {
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    onError: (error) => log(`console: the live feed could not read the ledger: ${messageOf(error)}`),
  });
  const actor = options.actor ?? (await actorOf(target));
  const secrets: ConsoleSecrets = newSecrets();
  const files = webFiles();
  const template = readFileSync(new URL('index.html', WEB), 'utf8');
  const streams = new Set<ServerResponse>();
  let port = 0;

  const api: Record<string, (url: URL, body: unknown) => Promise<unknown>> = {
    'GET /api/session': async () => ({
      actor,
      readOnly,
      fleet: view.hasFleet,
      local: target.local,
      rulesTable: target.config.rulesTable,
      ledgerTable: target.config.ledgerTable,
    }),
    'GET /api/requests': async () => ({
      at: new Date().toISOString(),
      requests: await view.requests(),
      unlisted: view.unlistedMembers(),
    }),
    'GET /api/services': async () => ({ services: await view.services() }),
    'GET /api/fleet': async () => ({ fleet: view.hasFleet, ...(await view.fleet()) }),
    'GET /api/rules': () => view.rules(),
    'POST /api/what-if': (_url, body) => view.whatIf(whatIfInput(body)),
    'GET /api/ledger': (url) => {
      const after = url.searchParams.get('after');
      return pages.page({
        ...ledgerFilter(url.searchParams),
        limit: wholeNumber(url.searchParams, 'limit', 50, MAX_PAGE),
        ...(after ? { after } : {}),
      });
    },
    'GET /api/ledger/chart': (url) =>
      pages.counts(ledgerFilter(url.searchParams), {
        until: new Date(),
        ms: wholeNumber(url.searchParams, 'hours', 24, 24 * 90) * 3_600_000,
        buckets: 24,
      }),
    'POST /api/decide': async (_url, body) => {
      if (readOnly) throw new ReadOnlyError();
      const input = decideInput(body);
      const result = await decideAsOperator(target, input, {
        actor,
        onWait: (message) => log(`console: ${message}`),
        ...(options.region ? { region: options.region } : {}),
      });
      // What was written shows on every open page at once, not at the next poll.
      void watch.poll();
      return result;
    },
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`console: ${request.method} ${request.url}: ${messageOf(error)}`);
      if (!response.headersSent) sendJson(response, 500, { error: messageOf(error) });
      else response.end();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const verdict = judgeAccess(
      { method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers },
      secrets,
      port,
    );
    if (verdict.kind === 'refuse') {
      request.resume();
      sendJson(response, verdict.status, { error: verdict.message });
      return;
    }
    if (verdict.kind === 'sign-in') {
      response.writeHead(303, {
        ...SECURITY_HEADERS,
        'set-cookie': verdict.setCookie,
        location: verdict.location,
      });
      response.end();
      return;
    }
    const url = new URL(request.url ?? '/', 'http://console');
    const method = request.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/') {
      const page = renderPage(template, { csrf: secrets.csrf });
      send(response, 200, 'text/html; charset=utf-8', page);
      return;
    }
    if (method === 'GET' && url.pathname === '/api/events') {
      openStream(response);
      return;
    }
    const file = method === 'GET' ? files.get(url.pathname) : undefined;
    if (file) {
      send(response, 200, file.type, file.body);
      return;
    }
    const route = api[`${method} ${url.pathname}`];
    if (!route) {
      request.resume();
      sendJson(response, 404, { error: `nothing at ${method} ${url.pathname}` });
      return;
    }
    try {
      const body = method === 'POST' ? await readJson(request) : undefined;
      sendJson(response, 200, await route(url, body));
    } catch (error) {
      const status =
        error instanceof ConsoleInputError || error instanceof CursorError || error instanceof BodyError
          ? 400
          : error instanceof ReadOnlyError
            ? 403
            : undefined;
      if (status === undefined) throw error;
      sendJson(response, status, { error: messageOf(error) });
    }
  }

  function openStream(response: ServerResponse): void {
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    response.write('retry: 1000\n\n');
    streams.add(response);
    const stop = watch.subscribe((entries) => {
      response.write(`event: ledger\ndata: ${JSON.stringify(entries)}\n\n`);
    });
    const keepalive = setInterval(() => response.write(': keepalive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    response.on('close', () => {
      clearInterval(keepalive);
      stop();
      streams.delete(response);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${secrets.session}`,
    port,
    actor,
    stop: async () => {
      watch.stop();
      for (const stream of streams) stream.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

class ReadOnlyError extends Error {
  override name = 'ReadOnlyError';
  constructor() {
    super('this console is read-only (--read-only): it takes no action');
  }
}
class BodyError extends Error {
  override name = 'BodyError';
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY) throw new BodyError(`body: at most ${MAX_BODY} bytes`);
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError(`body: must be JSON, got ${JSON.stringify(text.slice(0, 80))}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
