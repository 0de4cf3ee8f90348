/**
 * A bare edge port around one local service, for testing the service alone with real
 * clients (the SDK, the AWS CLI): it reads who signed each request as the edge server
 * does and hands the request to the service's `matches` and `handle`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Caller, CredentialError, identifyCaller, type LocalRoles } from '../../local/identity.ts';
import type { EdgeRequest, LocalService } from '../../local/service.ts';

export interface ServiceEdge {
  endpoint: string;
  close(): Promise<void>;
}

export async function serveLocalService(
  service: LocalService,
  options: { account: string; roles: LocalRoles },
): Promise<ServiceEdge> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let caller: Caller | undefined;
      let credentialError: CredentialError | undefined;
      try {
        caller = identifyCaller(req.headers.authorization, url.searchParams, options.account);
      } catch (error) {
        if (!(error instanceof CredentialError)) throw error;
        credentialError = error;
      }
      const request: EdgeRequest = {
        method: req.method ?? 'GET',
        url,
        rawUrl: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        requestId: randomUUID(),
        caller,
        credentialError,
        principal: caller === undefined ? undefined : options.roles.principalOf(caller),
      };
      if (service.matches?.(request) !== true || service.handle === undefined) {
        res.writeHead(404).end('not this service');
        return;
      }
      service.handle(request).then(
        (response) => {
          res.writeHead(response.status, { 'x-amzn-requestid': request.requestId, ...response.headers });
          res.end(response.body);
        },
        (error: unknown) => {
          res.writeHead(500).end(error instanceof Error ? error.message : String(error));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
