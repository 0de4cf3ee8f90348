import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { EndpointIdSchema, ServiceIdSchema } from '../core/rules/schema.ts';
import { decideByOperator, explainEndpoint } from '../gate/operator.ts';
import { OPERATOR_ACTOR_ENV } from '../shared/config.ts';
import * as z from '../shared/zod.ts';
import { parseEvent } from './event-schemas.ts';
import { flushMemberThrottles } from './member-throttles.ts';
import { logger, tracing } from './observability.ts';
import { runtime } from './runtime.ts';

/** What a Slack button (a Chatbot custom action running `lambda invoke`) sends. */
export const OperatorRequestSchema = z.strictObject({
  action: z.enum(['approve', 'deny', 'explain']),
  endpointId: EndpointIdSchema,
  serviceId: z.optional(ServiceIdSchema),
  reason: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  /** The chat user, when the channel passes it on. */
  user: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
});

/** A button press → the same decision as `plgate approve` / `deny` / `explain`, answered in a line for the channel. */
async function operator(event: unknown, context: Context): Promise<string> {
  const request = parseEvent(OperatorRequestSchema, event, 'operator request');
  const gate = runtime();
  const deps = {
    ...gate.decideDeps(context.awsRequestId),
    remainingMs: () => context.getRemainingTimeInMillis(),
    rules: gate.rules,
    rulesWriter: gate.rulesStore,
    onWait: (message: string) => logger.info('operator decision waits for a lease', { message }),
  };
  const { endpointId, serviceId } = request;
  if (request.action === 'explain') {
    return (await explainEndpoint({ endpointId, ...(serviceId ? { serviceId } : {}) }, deps)).message;
  }
  const role = process.env[OPERATOR_ACTOR_ENV] || context.invokedFunctionArn;
  const actor = request.user ? `${role} (user ${request.user})` : role;
  const result = await decideByOperator(
    {
      action: request.action,
      endpointId,
      actor,
      ...(serviceId ? { serviceId } : {}),
      reason: request.reason ?? `${request.action} button in the chat channel`,
    },
    deps,
  );
  logger.info('operator decision', { endpointId, action: request.action, status: result.status, actor });
  const mark = result.status === 'done' || result.status === 'already' ? 'done' : 'not done';
  return `${mark}: ${result.message}`;
}

export const handler = middy(operator)
  .use(tracing)
  .use(injectLambdaContext(logger))
  .use(flushMemberThrottles(runtime));
