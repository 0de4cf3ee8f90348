/**
 * A bare HTTP server around one `LocalService`, as the edge port will wrap it: who signed
 * the request (from the SigV4 credential scope), who that is to IAM, then `matches` and
 * `handle`. Lets a service be tested with real SDK clients and the AWS CLI on its own.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Caller, CredentialError, identifyCaller, LocalRoles } from '../../local/identity.ts';
import type { EdgeRequest, LocalService } from '../../local/service.ts';

export interface ServiceServer {
  endpoint: string;
  roles: LocalRoles;
  close(): Promise<void>;
}

export async function startServiceServer(
  service: LocalService,
  providerAccount: string,
  roles = new LocalRoles(),
): Promise<ServiceServer> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
      let caller: Caller | undefined;
      let credentialError: CredentialError | undefined;
      try {
        caller = identifyCaller(req.headers.authorization, url.searchParams, providerAccount);
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
        principal: caller === undefined ? undefined : roles.principalOf(caller),
      };
      if (service.matches?.(request) !== true || service.handle === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'not this service' }));
        return;
      }
      service.handle(request).then(
        (response) => {
          res.writeHead(response.status, response.headers ?? {});
          res.end(response.body);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: error instanceof Error ? error.message : String(error) }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    roles,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
