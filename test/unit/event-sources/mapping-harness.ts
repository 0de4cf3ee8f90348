/**
 * Event source mappings with the real SQS service, a real table stream, the cloud's
 * deliveries and timers, and a function played by a plain handler: what the tests of
 * local/event-sources run against.
 */
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { MovableClock } from '../../../local/clock.ts';
import { Deliveries, Timers } from '../../../local/deliveries.ts';
import { TableStreams } from '../../../local/dynamodb/streams.ts';
import { EventSourceMappings } from '../../../local/event-sources/mappings.ts';
import { Authorizer } from '../../../local/iam/authorizer.ts';
import type { LocalRole } from '../../../local/identity.ts';
import type {
  FunctionInvoker,
  InvokeResult,
  ResourceProvider,
  ResourceRequest,
} from '../../../local/service.ts';
import { SqsService } from '../../../local/sqs/service.ts';

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
export const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:worker`;
export const STREAM_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/rules/stream/2026-01-01T00:00:00.000`;

export type FunctionBody = (event: SQSEvent & DynamoDBStreamEvent) => Promise<InvokeResult> | InvokeResult;

const stack = {
  name: 'Gate',
  id: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Gate/1`,
  account: ACCOUNT,
  region: REGION,
};

export function mappingHarness(body: FunctionBody, role?: Partial<LocalRole>) {
  const clock = new MovableClock();
  const logs: string[] = [];
  const log = (line: string) => logs.push(line);
  const deliveries = new Deliveries({ retries: 0, retryDelayMs: 0, log });
  const timers = new Timers(log, clock);
  const sqs = new SqsService({
    endpoint: () => 'http://127.0.0.1:4566',
    authorizer: new Authorizer(log),
    timers,
    clock,
    log,
  });
  const streams = new TableStreams(deliveries, ACCOUNT, REGION);
  const executionRole: LocalRole = {
    name: 'worker-role',
    account: ACCOUNT,
    statements: [{ Effect: 'Allow', Action: ['sqs:*', 'dynamodb:*'], Resource: '*' }],
    ...role,
  };
  const invocations: Array<SQSEvent & DynamoDBStreamEvent> = [];
  const invoker: FunctionInvoker = {
    invoke: async (functionArn, event) => {
      if (functionArn !== FUNCTION_ARN) throw new Error(`no function ${functionArn}`);
      const typed = event as SQSEvent & DynamoDBStreamEvent;
      invocations.push(structuredClone(typed));
      return body(typed);
    },
    invokeAsync: async (functionArn, event) => {
      const run = () => invoker.invoke(functionArn, event, { kind: 'internal' });
      deliveries.enqueue(invoker, 'async invoke', run);
    },
  };
  const mappings = new EventSourceMappings({
    invoker,
    queues: sqs.consumer,
    streams,
    writer: sqs,
    executionRole: (arn) => (arn === FUNCTION_ARN ? executionRole : undefined),
    authorizer: new Authorizer(log),
    deliveries,
    timers,
    clock,
    log,
  });
  const provider = mappings.resources[0] as ResourceProvider;
  const request = (properties: Record<string, unknown>): ResourceRequest => ({
    logicalId: 'Mapping',
    properties: { FunctionName: 'worker', ...properties },
    stack,
    generatedName: () => 'Gate-Mapping-X',
  });
  return {
    clock,
    logs,
    deliveries,
    timers,
    sqs,
    streams,
    mappings,
    provider,
    request,
    invocations,
    queue: (name: string, attributes: Record<string, string> = {}) =>
      sqs.queues.create({ account: ACCOUNT, region: REGION, name }, attributes),
    send: (queue: ReturnType<SqsService['queues']['create']>, body: string) =>
      sqs.queues.send(queue, { body, messageAttributes: {}, senderId: 'AIDATESTSENDER' }),
    /** What `cloud.settle()` does: every timer now, until nothing is left to happen. */
    settle: async () => {
      while (deliveries.busy || timers.busy) {
        timers.flush();
        await deliveries.idle();
      }
    },
    close: async () => {
      await mappings.stop();
      timers.close();
      await deliveries.close();
    },
  };
}

export const ok = (payload: unknown = null): InvokeResult => ({ ok: true, payload });
export const failed = (message: string): InvokeResult => ({
  ok: false,
  errorType: 'Error',
  errorMessage: message,
});
