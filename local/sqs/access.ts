/**
 * What an SQS request asks IAM for: `sqs:<Action>` on the queue its QueueUrl (or its new
 * name) names, judged with the queue's policy; the batch calls are the single actions
 * (`SendMessageBatch` is `sqs:SendMessage`), ListQueues is on `*`. A queue without a
 * policy is its own account's only, by identity policy.
 */

import type { AccessRequest } from '../iam/authorizer.ts';
import type { Caller } from '../identity.ts';
import { policyOf } from './attributes.ts';
import type { Queue } from './queue.ts';
import { queueArnOf } from './queue.ts';
import { addressOfUrl, type SqsQueues } from './queues.ts';

const IAM_ACTION: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

/** The request for `action` on a queue, with its policy when it has one. */
export function queueAccess(queue: Queue, action: string, context?: Record<string, string>): AccessRequest {
  const policy = queue.attributes.Policy;
  return {
    action,
    resource: queue.arn,
    resourceAccount: queue.address.account,
    ...(context === undefined ? {} : { context }),
    ...(policy === undefined ? {} : { resourcePolicy: policyOf(policy) }),
  };
}

export function sqsAccessRequests(
  queues: SqsQueues,
  caller: Caller,
  operation: string,
  body: Record<string, unknown>,
): AccessRequest[] {
  const action = `sqs:${IAM_ACTION[operation] ?? operation}`;
  if (operation === 'ListQueues') return [{ action, resource: '*', resourceAccount: caller.account }];
  if (operation === 'CreateQueue' || operation === 'GetQueueUrl') {
    const name = body.QueueName;
    // A missing or malformed name is the operation's to report.
    if (typeof name !== 'string' || name === '') return [];
    const owner =
      operation === 'GetQueueUrl' && typeof body.QueueOwnerAWSAccountId === 'string'
        ? body.QueueOwnerAWSAccountId
        : caller.account;
    const address = { account: owner, region: caller.region, name };
    const queue = queues.find(address);
    if (queue !== undefined) return [queueAccess(queue, action)];
    return [{ action, resource: queueArnOf(address), resourceAccount: owner }];
  }
  let address: ReturnType<typeof addressOfUrl>;
  try {
    address = addressOfUrl(body.QueueUrl, caller.region);
  } catch {
    return [];
  }
  const queue = queues.find(address);
  if (queue !== undefined) return [queueAccess(queue, action)];
  return [{ action, resource: queueArnOf(address), resourceAccount: address.account }];
}
