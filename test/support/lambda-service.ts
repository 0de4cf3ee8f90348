/**
 * The Lambda service on its own, as the local cloud would wire it: real roles, clock,
 * deliveries, timers and IAM, behind a bare HTTP server that turns each request into an
 * `EdgeRequest` for the service's `matches`/`handle` (so the AWS CLI can talk to it). The
 * queue writer records what would go to SQS. Resources are created through the service's
 * own CloudFormation providers, as the deployer creates them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { MovableClock } from '../../local/clock.ts';
import { Deliveries, Timers } from '../../local/deliveries.ts';
import { Authorizer } from '../../local/iam/authorizer.ts';
import { LocalRoles, roleArnOf } from '../../local/identity.ts';
import { LambdaService, type LambdaServiceOptions } from '../../local/lambda/service.ts';
import type { CreatedResource, QueueSender, ResourceRequest } from '../../local/service.ts';
import { startServiceServer } from './service-server.ts';

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

  const server = await startServiceServer(service, ACCOUNT, roles);
  endpoint = server.endpoint;

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
      await server.close();
    },
  };
}
