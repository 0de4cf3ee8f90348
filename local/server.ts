/**
 * The edge server: one HTTP port. It reads the body, identifies the signer, counts the
 * call and lets an injected fault strike, then asks the registry's services in order
 * whether the request is theirs (each tells its protocol apart the way AWS's endpoints
 * would: a path, an `X-Amz-Target`, the credential scope's service, a `Version` or an
 * `Action`). A small read-only admin API lives under `/_plgate/`. What no service takes
 * is refused in the shape of the protocol asked.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { CallCounts } from './call-counts.ts';
import { Ec2Error } from './ec2/errors.ts';
import { ec2ErrorResponse } from './ec2/query.ts';
import { type JsonResponse, jsonError } from './events/api.ts';
import type { EdgeFaultLayer } from './fault-layer.ts';
import { type Caller, CredentialError, identifyCaller, type LocalRoles } from './identity.ts';
import { requestId as newRequestId } from './ids.ts';
import type { EdgeRequest, LocalService } from './service.ts';

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const XML = 'text/xml;charset=UTF-8';

export interface EdgeServices {
  providerAccount: string;
  /** The roles of the cloud, by the access keys that sign as them. */
  roles: LocalRoles;
  /** Read-only admin endpoints (`/_plgate/<name>`), answering JSON; undefined for an unknown name. */
  admin: (name: string, query: URLSearchParams) => unknown;
  /** Counts every API call by caller, service and action (admin `/_plgate/calls`). */
  calls?: CallCounts;
  log: (line: string) => void;
  /** Injected faults (`--faults`): answers a request itself when one strikes it. */
  faults?: EdgeFaultLayer;
  /** The services of the registry (local/registry.ts), asked in order whether a request is theirs. */
  registry: readonly LocalService[];
}

class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError(`request body larger than ${MAX_BODY_BYTES} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Record<string, string | string[]> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function sendJson(res: ServerResponse, response: JsonResponse, requestId: string, contentType: string): void {
  send(res, response.status, contentType, JSON.stringify(response.body), {
    'x-amzn-requestid': requestId,
    ...(response.errorType === undefined ? {} : { 'x-amzn-errortype': response.errorType }),
  });
}

export function createEdgeServer(services: EdgeServices): Server {
  const handleAdmin = (res: ServerResponse, req: IncomingMessage, url: URL): void => {
    const name = url.pathname.slice('/_plgate/'.length);
    if (req.method !== 'GET') {
      send(res, 405, 'application/json', JSON.stringify({ message: 'the admin API is read-only: use GET' }));
      return;
    }
    const result = services.admin(name, url.searchParams);
    if (result === undefined) {
      send(res, 404, 'application/json', JSON.stringify({ message: `no admin endpoint /_plgate/${name}` }));
      return;
    }
    send(res, 200, 'application/json', `${JSON.stringify(result, null, 2)}\n`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = newRequestId();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const target = req.headers['x-amz-target'];
    let body: string;
    try {
      body = await readBody(req);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      send(res, 413, 'text/plain', error.message, { connection: 'close' });
      return;
    }
    if (url.pathname.startsWith('/_plgate/')) {
      handleAdmin(res, req, url);
      return;
    }
    services.calls?.record(req.headers, url, body);
    if (services.faults !== undefined && (await services.faults(req, res, url, requestId))) return;
    const request = edgeRequest(req, url, body, requestId, services);
    const service = services.registry.find((candidate) => candidate.matches?.(request) === true);
    if (service?.handle !== undefined) {
      const response = await service.handle(request);
      send(
        res,
        response.status,
        String(response.headers?.['content-type'] ?? 'application/json'),
        response.body,
        {
          'x-amzn-requestid': requestId,
          ...(response.headers ?? {}),
        },
      );
      return;
    }
    const served = services.registry.map((candidate) => candidate.name).join(', ');
    if (typeof target === 'string' && target !== '') {
      sendJson(
        res,
        jsonError(
          400,
          'UnknownOperationException',
          `Unknown target ${target} (the local cloud serves ${served})`,
        ),
        requestId,
        'application/x-amz-json-1.1',
      );
      return;
    }
    const response = ec2ErrorResponse(
      new Ec2Error(
        'InvalidAction',
        `The local cloud does not serve the '${request.caller?.service ?? 'unknown'}' API (it serves ${served})`,
      ),
      requestId,
    );
    send(res, response.status, XML, response.body, { 'x-amzn-requestid': requestId });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      services.log(
        `internal error on ${req.method} ${req.url}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      const requestId = newRequestId();
      if (typeof req.headers['x-amz-target'] === 'string') {
        sendJson(
          res,
          jsonError(500, 'InternalServerError', 'The local cloud failed on this request'),
          requestId,
          'application/x-amz-json-1.0',
        );
      } else {
        const response = ec2ErrorResponse(
          new Ec2Error('InternalError', 'The local cloud failed on this request', 500),
          requestId,
        );
        send(res, response.status, XML, response.body, { 'x-amzn-requestid': requestId });
      }
    });
  });
  // Node closes a kept-alive connection after 5 s idle; a client that sends on it at that
  // moment sees `socket hang up` (ECONNRESET), which AWS's endpoints, keeping connections
  // open far longer, do not give it. Under load (many function workers, each with its own
  // clients) that race struck the bench's and the tests' calls.
  server.keepAliveTimeout = 65_000;
  return server;
}

/** A request as the registry's services see it: who signed it, and who that is to IAM. */
function edgeRequest(
  req: IncomingMessage,
  url: URL,
  body: string,
  requestId: string,
  services: EdgeServices,
): EdgeRequest {
  let caller: Caller | undefined;
  let credentialError: CredentialError | undefined;
  try {
    caller = identifyCaller(req.headers.authorization, url.searchParams, services.providerAccount, (key) =>
      services.roles.accountOfKey(key),
    );
  } catch (error) {
    if (!(error instanceof CredentialError)) throw error;
    credentialError = error;
  }
  return {
    method: req.method ?? 'GET',
    url,
    rawUrl: req.url ?? '/',
    headers: req.headers,
    body,
    requestId,
    caller,
    credentialError,
    principal: caller === undefined ? undefined : services.roles.principalOf(caller),
  };
}
