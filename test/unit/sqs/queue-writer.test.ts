import { describe, expect, it } from 'vitest';
import { MovableClock } from '../../../local/clock.ts';
import { Timers } from '../../../local/deliveries.ts';
import { Authorizer } from '../../../local/iam/authorizer.ts';
import { type LocalRole, LocalRoles } from '../../../local/identity.ts';
import { QueueDeniedError, QueueNotFoundError } from '../../../local/service.ts';
import { SqsService } from '../../../local/sqs/service.ts';

const ACCOUNT = '000000000000';
const OTHER = '444455556666';
const REGION = 'us-east-1';
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:decisions`;

function setup() {
  const clock = new MovableClock();
  const timers = new Timers(() => {}, clock);
  const sqs = new SqsService({
    endpoint: () => 'http://127.0.0.1:4566',
    authorizer: new Authorizer(() => {}),
    timers,
    clock,
    log: () => {},
  });
  const queue = sqs.queues.create({ account: ACCOUNT, region: REGION, name: 'subscriber' }, {});
  const policy = (statement: Record<string, unknown>) =>
    sqs.queues.setAttributes(queue, {
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }),
    });
  const roles = new LocalRoles();
  const principal = (role: LocalRole) =>
    roles.principalOf({
      account: role.account,
      region: REGION,
      service: 'sqs',
      accessKeyId: role.accessKeyId ?? '',
    });
  return { sqs, queue, policy, roles, principal, timers };
}

const fromTopic = {
  kind: 'service',
  principal: 'sns.amazonaws.com',
  sourceArn: TOPIC,
  sourceAccount: ACCOUNT,
} as const;

describe('sending to a queue from another service (QueueWriter)', () => {
  it('lets a service send only as the queue policy allows, conditions included', async () => {
    const { sqs, queue, policy, timers } = setup();
    await expect(sqs.send(queue.arn, 'no policy', fromTopic)).rejects.toBeInstanceOf(QueueDeniedError);
    policy({
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queue.arn,
      Condition: { ArnEquals: { 'aws:SourceArn': TOPIC } },
    });
    await sqs.send(queue.arn, 'from the topic', fromTopic);
    await expect(
      sqs.send(queue.arn, 'from another topic', { ...fromTopic, sourceArn: `${TOPIC}-other` }),
    ).rejects.toThrow(/does not let sns.amazonaws.com/);
    const [received] = sqs.queues.receive(queue, 10);
    expect(received?.message).toMatchObject({ body: 'from the topic', senderId: 'sns.amazonaws.com' });
    await expect(sqs.send(`${queue.arn}-missing`, 'x', fromTopic)).rejects.toBeInstanceOf(QueueNotFoundError);
    timers.close();
  });

  it('lets a role of the same account send by its own policy, and one of another account only with both', async () => {
    const { sqs, queue, policy, roles, principal, timers } = setup();
    const local: LocalRole = {
      name: 'destination',
      account: ACCOUNT,
      accessKeyId: 'LOCALROLE',
      statements: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queue.arn }],
    };
    const foreign: LocalRole = { ...local, account: OTHER, accessKeyId: 'FOREIGNROLE' };
    roles.define(local);
    roles.define(foreign);
    await sqs.send(queue.arn, 'same account', { kind: 'principal', principal: principal(local) });
    await expect(
      sqs.send(queue.arn, 'other account', { kind: 'principal', principal: principal(foreign) }),
    ).rejects.toBeInstanceOf(QueueDeniedError);
    policy({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${OTHER}:root` },
      Action: 'sqs:SendMessage',
      Resource: queue.arn,
    });
    await sqs.send(queue.arn, 'other account', { kind: 'principal', principal: principal(foreign) });
    expect(sqs.queues.receive(queue, 10).map((r) => r.message.body)).toEqual([
      'same account',
      'other account',
    ]);
    timers.close();
  });
});
