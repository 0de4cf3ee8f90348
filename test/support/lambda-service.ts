/**
 * The Lambda service on its own, as the local cloud would wire it: real roles, clock,
 * deliveries, timers and IAM, behind a bare HTTP server that turns each request into an
 * `EdgeRequest` for the service's `matches`/`handle` (so the AWS CLI can talk to it). The
 * queue writer records what would go to SQS. Resources are created through the service's
 * own CloudFormation providers, as the deployer creates them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { MovableClock } from '../../local/clock.ts';
import { Deliveries, Timers } from '../../local/deliveries.ts';
import { Authorizer } from '../../local/iam/authorizer.ts';
import { type Caller, CredentialError, identifyCaller, LocalRoles, roleArnOf } from '../../local/identity.ts';
import { LambdaService, type LambdaServiceOptions } from '../../local/lambda/service.ts';
import type { CreatedResource, EdgeRequest, QueueSender, ResourceRequest } from '../../local/service.ts';

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
export const STACK = {
  name: 'LambdaTest',
  id: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/LambdaTest/${randomUUID()}`,
  account: ACCOUNT,
  region: REGION,
};

export const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/lambda/${name}`, import.meta.url));

export interface SentMessage {
  queueArn: string;
  body: string;
  sender: QueueSender;
}

export interface FunctionLine {
  functionName: string;
  line: string;
}

export interface TestLambda {
  service: LambdaService;
  roles: LocalRoles;
  clock: MovableClock;
  deliveries: Deliveries;
  timers: Timers;
  endpoint: string;
  sent: SentMessage[];
  logs: string[];
  functionLines: FunctionLine[];
  /** Resolves with the first line of the function's log that satisfies `test` (now or later). */
  lineOf(functionName: string, test: (line: string) => boolean): Promise<string>;
  /** Defines a role that may do `actions` on `*`; returns its ARN. */
  role(name: string, statements?: Record<string, unknown>[]): string;
  create(type: string, logicalId: string, properties: Record<string, unknown>): Promise<CreatedResource>;
  stop(): Promise<void>;
}

export async function startTestLambda(options: Partial<LambdaServiceOptions> = {}): Promise<TestLambda> {
  const roles = new LocalRoles();
  const clock = new MovableClock();
  const logs: string[] = [];
  const log = (line: string) => logs.push(line);
  const deliveries = new Deliveries({ retries: 0, retryDelayMs: 1, log });
  const timers = new Timers(log, clock);
  const sent: SentMessage[] = [];
  const functionLines: FunctionLine[] = [];
  const lineWaiters = new Set<(entry: FunctionLine) => void>();
  let endpoint = '';
  const service = new LambdaService({
    account: ACCOUNT,
    region: REGION,
    endpoint: () => endpoint,
    roles,
    queues: () => ({
      send: async (queueArn, body, sender) => {
        sent.push({ queueArn, body, sender });
      },
    }),
    deliveries,
    timers,
    clock,
    authorizer: new Authorizer(log),
    log,
    functionLog: (functionName, line) => {
      const entry = { functionName, line };
      functionLines.push(entry);
      for (const wake of lineWaiters) wake(entry);
    },
    asyncRetryDelayMs: 5,
    ...options,
  });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', endpoint);
      let caller: Caller | undefined;
      let credentialError: CredentialError | undefined;
      try {
        caller = identifyCaller(req.headers.authorization, url.searchParams, ACCOUNT);
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
      if (!service.matches(request)) {
        res.writeHead(404).end();
        return;
      }
      service.handle(request).then(
        (response) => {
          res.writeHead(response.status, response.headers ?? {});
          res.end(response.body);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: String(error) }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    service,
    roles,
    clock,
    deliveries,
    timers,
    endpoint,
    sent,
    logs,
    functionLines,
    lineOf(functionName, test) {
      const found = functionLines.find((entry) => entry.functionName === functionName && test(entry.line));
      if (found !== undefined) return Promise.resolve(found.line);
      return new Promise((resolve) => {
        const wake = (entry: FunctionLine) => {
          if (entry.functionName !== functionName || !test(entry.line)) return;
          lineWaiters.delete(wake);
          resolve(entry.line);
        };
        lineWaiters.add(wake);
      });
    },
    role(name, statements = []) {
      roles.define({
        name,
        account: ACCOUNT,
        statements,
        trustPolicy: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        },
      });
      return roleArnOf({ name, account: ACCOUNT });
    },
    async create(type, logicalId, properties) {
      const provider = service.resources.find((candidate) => candidate.type === type);
      if (provider === undefined) throw new Error(`no provider for ${type}`);
      const suffix = randomBytes(6).toString('hex').toUpperCase();
      const request: ResourceRequest = {
        logicalId,
        properties,
        stack: STACK,
        generatedName: (maxLength = 128) => `${STACK.name}-${logicalId}-${suffix}`.slice(0, maxLength),
      };
      return provider.create(request);
    },
    async stop() {
      // The service first: it wakes the async retries waiting on a timer.
      await service.stop();
      timers.close();
      await deliveries.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
