/**
 * The queues of the local cloud, every account and region (moto's backend): creating and
 * finding them by URL, ARN or name, sending with SQS's checks, receiving with redrive to
 * the dead-letter queue, and telling whoever waits (a long poll, an event source mapping)
 * that a queue has a message to receive.
 */
import { redrivePolicyOf } from './attributes.ts';
import { queueDoesNotExist, SqsError } from './errors.ts';
import { messageSize } from './message-attributes.ts';
import {
  parseQueueArn,
  Queue,
  type QueueAddress,
  type QueueSnapshot,
  queueArnOf,
  type ReceivedMessage,
  type SendInput,
  type StoredMessage,
} from './queue.ts';

export interface SqsQueuesOptions {
  clock: { now(): number };
  schedule(delayMs: number, label: string, run: () => void): void;
  log: (line: string) => void;
}

export interface SqsSnapshot {
  version: 1;
  queues: QueueSnapshot[];
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
/** The characters SQS accepts in a message (XML 1.0's). */
const VALID_BODY = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

export class SqsQueues {
  private readonly queues = new Map<string, Queue>();
  private readonly listeners = new Map<string, Set<() => void>>();

  constructor(private readonly options: SqsQueuesOptions) {}

  /** Checks a queue name as CreateQueue does. */
  static checkName(name: unknown): string {
    if (typeof name !== 'string' || name === '') {
      throw new SqsError('MissingParameter', 'The request must contain the parameter QueueName.');
    }
    if (name.endsWith('.fifo')) {
      throw new SqsError('InvalidParameterValue', `The local cloud has no FIFO queues: ${name} is one.`);
    }
    if (!QUEUE_NAME.test(name)) {
      throw new SqsError(
        'InvalidParameterValue',
        `Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length: '${name}'.`,
      );
    }
    return name;
  }

  /** Creates a queue (attributes already validated); its dead-letter queue must exist. */
  create(address: QueueAddress, attributes: Record<string, string>): Queue {
    this.checkDeadLetterTarget(address, attributes);
    const arn = queueArnOf(address);
    const queue = new Queue(address, attributes, this.portsFor(arn));
    this.queues.set(arn, queue);
    return queue;
  }

  setAttributes(queue: Queue, attributes: Record<string, string>): void {
    this.checkDeadLetterTarget(queue.address, attributes);
    queue.setAttributesTo(attributes);
  }

  private checkDeadLetterTarget(address: QueueAddress, attributes: Record<string, string>): void {
    const value = attributes.RedrivePolicy;
    if (value === undefined || value === '') return;
    const target = redrivePolicyOf(value).deadLetterTargetArn;
    const targetAddress = parseQueueArn(target);
    if (
      targetAddress === undefined ||
      targetAddress.account !== address.account ||
      targetAddress.region !== address.region ||
      !this.queues.has(target)
    ) {
      throw new SqsError(
        'InvalidParameterValue',
        `Value ${value} for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist (it must be a queue of the same account and region).`,
      );
    }
  }

  private portsFor(arn: string) {
    return {
      clock: this.options.clock,
      schedule: this.options.schedule,
      onAvailable: () => {
        for (const listener of [...(this.listeners.get(arn) ?? [])]) listener();
      },
    };
  }

  get(arn: string): Queue | undefined {
    return this.queues.get(arn);
  }

  find(address: QueueAddress): Queue | undefined {
    return this.queues.get(queueArnOf(address));
  }

  /** The queue a QueueUrl names (`…/ACCOUNT/NAME`), in the caller's region. */
  byUrl(queueUrl: unknown, region: string): Queue {
    const address = addressOfUrl(queueUrl, region);
    const queue = this.find(address);
    if (queue === undefined) throw queueDoesNotExist();
    return queue;
  }

  list(account: string, region: string): Queue[] {
    return [...this.queues.values()]
      .filter((queue) => queue.address.account === account && queue.address.region === region)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  remove(arn: string): void {
    this.queues.delete(arn);
  }

  send(queue: Queue, input: SendInput): StoredMessage {
    if (input.body === '') {
      throw new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
    }
    if (!VALID_BODY.test(input.body)) {
      throw new SqsError(
        'InvalidMessageContents',
        'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
      );
    }
    const limit = Number(queue.attributes.MaximumMessageSize);
    if (messageSize(input.body, input.messageAttributes) > limit) {
      throw new SqsError(
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`,
      );
    }
    return queue.send(input);
  }

  /** Receives from a queue; messages past their receive count go to its dead-letter queue. */
  receive(
    queue: Queue,
    max: number,
    visibilityTimeout?: number,
    options: { deferReturn?: boolean } = {},
  ): ReceivedMessage[] {
    const timeout = visibilityTimeout ?? Number(queue.attributes.VisibilityTimeout);
    return queue.receive(
      max,
      timeout,
      (message, policy) => {
        const target = this.queues.get(policy.deadLetterTargetArn);
        if (target === undefined) {
          this.options.log(
            `sqs ${queue.name}: message ${message.messageId} stays: dead-letter queue ${policy.deadLetterTargetArn} does not exist`,
          );
          return false;
        }
        target.acceptRedriven(message, queue.arn);
        this.options.log(
          `sqs ${queue.name}: message ${message.messageId} moved to ${target.name} after ${message.receiveCount} receives`,
        );
        return true;
      },
      options,
    );
  }

  /** Calls `listener` whenever the queue may have a message to receive; returns what unsubscribes. */
  onAvailable(arn: string, listener: () => void): () => void {
    const set = this.listeners.get(arn) ?? new Set();
    set.add(listener);
    this.listeners.set(arn, set);
    return () => {
      set.delete(listener);
    };
  }

  snapshot(): SqsSnapshot {
    return { version: 1, queues: [...this.queues.values()].map((queue) => queue.snapshot()) };
  }

  restore(snapshot: unknown): void {
    if (!isSnapshot(snapshot)) {
      throw new Error(
        `sqs snapshot: expected {version: 1, queues: [...]}, got ${JSON.stringify(snapshot)?.slice(0, 200)}`,
      );
    }
    this.queues.clear();
    for (const saved of snapshot.queues) {
      const arn = queueArnOf(saved);
      const queue = new Queue(
        { account: saved.account, region: saved.region, name: saved.name },
        { ...saved.attributes },
        this.portsFor(arn),
        saved.createdAt,
        saved.lastModifiedAt,
      );
      queue.tags = { ...saved.tags };
      this.queues.set(arn, queue);
    }
    for (const saved of snapshot.queues) this.queues.get(queueArnOf(saved))?.restoreMessages(saved.messages);
  }
}

function isSnapshot(value: unknown): value is SqsSnapshot {
  return (
    typeof value === 'object' &&
    value !== null &&
    'version' in value &&
    value.version === 1 &&
    'queues' in value &&
    Array.isArray(value.queues)
  );
}

export function addressOfUrl(queueUrl: unknown, region: string): QueueAddress {
  if (typeof queueUrl !== 'string' || queueUrl === '') {
    throw new SqsError('MissingParameter', 'The request must contain the parameter QueueUrl.');
  }
  let path: string;
  try {
    path = new URL(queueUrl).pathname;
  } catch {
    throw new SqsError('InvalidAddress', `The address ${queueUrl} is not valid for this endpoint.`);
  }
  const match = /^\/([0-9]{12})\/([^/]+)\/?$/.exec(path);
  if (match === null) {
    throw new SqsError('InvalidAddress', `The address ${queueUrl} is not valid for this endpoint.`);
  }
  const [, account = '', name = ''] = match;
  return { account, region, name: decodeURIComponent(name) };
}
