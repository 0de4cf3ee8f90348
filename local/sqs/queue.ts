/**
 * One SQS queue: its messages, when each is visible, how often it was received. A message
 * received is hidden for the visibility timeout and comes back unless deleted; one received
 * `maxReceiveCount` times moves to the dead-letter queue on its next receive, as SQS does.
 * Time is the cloud's clock; a message turning visible is a timer of the cloud, so moving
 * the clock or settling the cloud makes it visible at once.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_ATTRIBUTES, type RedrivePolicy, redrivePolicyOf, seconds } from './attributes.ts';
import { SqsError } from './errors.ts';
import { type MessageAttribute, md5Of, md5OfMessageAttributes } from './message-attributes.ts';

export interface QueueAddress {
  account: string;
  region: string;
  name: string;
}

export const queueArnOf = ({ region, account, name }: QueueAddress): string =>
  `arn:aws:sqs:${region}:${account}:${name}`;

export function parseQueueArn(arn: string): QueueAddress | undefined {
  const match = /^arn:aws[a-z-]*:sqs:([a-z0-9-]+):([0-9]{12}):([A-Za-z0-9_-]{1,80})$/.exec(arn);
  if (match === null) return undefined;
  const [, region = '', account = '', name = ''] = match;
  return { account, region, name };
}

export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, MessageAttribute>;
  md5OfMessageAttributes?: string;
  /** Epoch ms on the cloud's clock. */
  sentAt: number;
  senderId: string;
  /** Epoch ms from which it may be received (after a delay or a visibility timeout). */
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** The nonce of the latest receive; its receipt handle is the one that counts. */
  receipt?: string;
  deadLetterQueueSourceArn?: string;
  /** Bumped whenever its visibility changes, so a timer set for an older visibility does nothing. */
  generation: number;
}

export interface ReceivedMessage {
  message: StoredMessage;
  receiptHandle: string;
}

export interface QueueSnapshot extends QueueAddress {
  attributes: Record<string, string>;
  /** Epoch seconds. */
  createdAt: number;
  lastModifiedAt: number;
  tags: Record<string, string>;
  messages: StoredMessage[];
}

export interface QueuePorts {
  clock: { now(): number };
  schedule(delayMs: number, label: string, run: () => void): void;
  /** A message can be received now. */
  onAvailable(): void;
}

export interface SendInput {
  body: string;
  messageAttributes: Record<string, MessageAttribute>;
  senderId: string;
  /** Overrides the queue's DelaySeconds. */
  delaySeconds?: number;
}

interface ReceiptHandleParts {
  queueArn: string;
  messageId: string;
  receipt: string;
}

function encodeReceipt(parts: ReceiptHandleParts): string {
  return Buffer.from(JSON.stringify([parts.queueArn, parts.messageId, parts.receipt]), 'utf8').toString(
    'base64url',
  );
}

function decodeReceipt(handle: string): ReceiptHandleParts | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(handle, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((part) => typeof part === 'string')) {
      return undefined;
    }
    const [queueArn, messageId, receipt] = parsed as [string, string, string];
    return { queueArn, messageId, receipt };
  } catch {
    return undefined;
  }
}

const invalidHandle = (handle: string) =>
  new SqsError(
    'ReceiptHandleIsInvalid',
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
  );

export class Queue {
  readonly arn: string;
  private readonly messages = new Map<string, StoredMessage>();
  tags: Record<string, string> = {};
  private lastPurgeAt: number | undefined;

  constructor(
    readonly address: QueueAddress,
    private settable: Record<string, string>,
    private readonly ports: QueuePorts,
    readonly createdAt = Math.floor(ports.clock.now() / 1000),
    private lastModifiedAt = createdAt,
  ) {
    this.arn = queueArnOf(address);
  }

  get name(): string {
    return this.address.name;
  }

  /** Epoch seconds of the last change of its attributes. */
  get lastModified(): number {
    return this.lastModifiedAt;
  }

  /** The attributes set on it, SQS's defaults filled in. */
  get attributes(): Record<string, string> {
    return { ...DEFAULT_ATTRIBUTES, ...this.settable };
  }

  /** The attributes given at creation or set since (what CreateQueue compares). */
  get setAttributes(): Record<string, string> {
    return { ...this.settable };
  }

  setAttributesTo(change: Record<string, string>): void {
    const next = { ...this.settable, ...change };
    // An empty policy removes it.
    for (const name of ['Policy', 'RedrivePolicy', 'RedriveAllowPolicy', 'KmsMasterKeyId']) {
      if (next[name] === '') delete next[name];
    }
    this.settable = next;
    this.lastModifiedAt = Math.floor(this.ports.clock.now() / 1000);
  }

  get redrivePolicy(): RedrivePolicy | undefined {
    const value = this.settable.RedrivePolicy;
    return value === undefined ? undefined : redrivePolicyOf(value);
  }

  private now(): number {
    return this.ports.clock.now();
  }

  send(input: SendInput): StoredMessage {
    const now = this.now();
    const delay = input.delaySeconds ?? seconds(this.settable, 'DelaySeconds');
    const md5OfAttributes = md5OfMessageAttributes(input.messageAttributes);
    const message: StoredMessage = {
      messageId: randomUUID(),
      body: input.body,
      md5OfBody: md5Of(input.body),
      messageAttributes: structuredClone(input.messageAttributes),
      ...(md5OfAttributes === undefined ? {} : { md5OfMessageAttributes: md5OfAttributes }),
      sentAt: now,
      senderId: input.senderId,
      visibleAt: now + delay * 1000,
      receiveCount: 0,
      generation: 0,
    };
    this.messages.set(message.messageId, message);
    if (delay > 0) this.becomeVisibleIn(message, delay * 1000, 'delay');
    else this.ports.onAvailable();
    return message;
  }

  /** Takes in a message a source queue dead-lettered, visible at once. */
  acceptRedriven(message: StoredMessage, sourceArn: string): void {
    const moved: StoredMessage = {
      ...structuredClone(message),
      visibleAt: this.now(),
      deadLetterQueueSourceArn: sourceArn,
      generation: message.generation + 1,
    };
    delete moved.receipt;
    this.messages.set(moved.messageId, moved);
    this.ports.onAvailable();
  }

  /** Drops the messages older than the retention period. */
  private expire(): void {
    const oldest = this.now() - seconds(this.settable, 'MessageRetentionPeriod') * 1000;
    for (const [id, message] of this.messages) if (message.sentAt <= oldest) this.messages.delete(id);
  }

  /**
   * Receives up to `max` visible messages, hiding each for `visibilityTimeout` seconds.
   * A message already received `maxReceiveCount` times goes to `redrive` instead (which
   * answers whether the dead-letter queue took it).
   */
  receive(
    max: number,
    visibilityTimeout: number,
    redrive: (message: StoredMessage, policy: RedrivePolicy) => boolean,
    options: { deferReturn?: boolean } = {},
  ): ReceivedMessage[] {
    this.expire();
    const now = this.now();
    const policy = this.redrivePolicy;
    const received: ReceivedMessage[] = [];
    for (const message of [...this.messages.values()]) {
      if (received.length >= max) break;
      if (message.visibleAt > now) continue;
      if (
        policy !== undefined &&
        message.receiveCount >= policy.maxReceiveCount &&
        redrive(message, policy)
      ) {
        this.messages.delete(message.messageId);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceiveAt ??= now;
      message.receipt = randomUUID();
      message.visibleAt = now + visibilityTimeout * 1000;
      message.generation += 1;
      if (options.deferReturn !== true)
        this.becomeVisibleIn(message, visibilityTimeout * 1000, 'visibility timeout');
      received.push({
        message: structuredClone(message),
        receiptHandle: encodeReceipt({
          queueArn: this.arn,
          messageId: message.messageId,
          receipt: message.receipt,
        }),
      });
    }
    return received;
  }

  /**
   * Arms the return of a message received with `deferReturn`: it comes back when its
   * visibility timeout is up (at once, if it is up already).
   */
  returnAfterTimeout(handle: string): void {
    const { parts, message } = this.resolve(handle);
    if (message === undefined || message.receipt !== parts.receipt) return;
    const left = message.visibleAt - this.now();
    if (left <= 0) this.ports.onAvailable();
    else this.becomeVisibleIn(message, left, 'visibility timeout');
  }

  /** Whether a message can be received now. */
  hasVisible(): boolean {
    const now = this.now();
    for (const message of this.messages.values()) if (message.visibleAt <= now) return true;
    return false;
  }

  counts(): { visible: number; notVisible: number; delayed: number } {
    this.expire();
    const now = this.now();
    let visible = 0;
    let notVisible = 0;
    let delayed = 0;
    for (const message of this.messages.values()) {
      if (message.visibleAt <= now) visible += 1;
      else if (message.receiveCount === 0) delayed += 1;
      else notVisible += 1;
    }
    return { visible, notVisible, delayed };
  }

  private resolve(handle: string): { parts: ReceiptHandleParts; message: StoredMessage | undefined } {
    const parts = decodeReceipt(handle);
    if (parts === undefined || parts.queueArn !== this.arn) throw invalidHandle(handle);
    return { parts, message: this.messages.get(parts.messageId) };
  }

  /**
   * Deletes the message the handle received. A handle of a message already gone, or
   * one received again since, deletes nothing and is no error (as SQS).
   */
  delete(handle: string): void {
    const { parts, message } = this.resolve(handle);
    if (message !== undefined && message.receipt === parts.receipt) this.messages.delete(message.messageId);
  }

  changeVisibility(handle: string, visibilityTimeout: number): void {
    const { parts, message } = this.resolve(handle);
    const now = this.now();
    if (message === undefined || message.receipt !== parts.receipt || message.visibleAt <= now) {
      throw new SqsError(
        'MessageNotInflight',
        `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      );
    }
    message.visibleAt = now + visibilityTimeout * 1000;
    message.generation += 1;
    if (visibilityTimeout === 0) this.ports.onAvailable();
    else this.becomeVisibleIn(message, visibilityTimeout * 1000, 'visibility timeout');
  }

  purge(): void {
    const now = this.now();
    if (this.lastPurgeAt !== undefined && now - this.lastPurgeAt < 60_000) {
      throw new SqsError(
        'PurgeQueueInProgress',
        `Only one PurgeQueue operation on ${this.name} is allowed every 60 seconds.`,
      );
    }
    this.lastPurgeAt = now;
    this.messages.clear();
  }

  private becomeVisibleIn(message: StoredMessage, delayMs: number, why: string): void {
    const { messageId, generation } = message;
    this.ports.schedule(delayMs, `sqs ${this.name}: message ${messageId} ${why} ends`, () => {
      const current = this.messages.get(messageId);
      if (current === undefined || current.generation !== generation) return;
      // Flushed (settle) or fired after the clock moved: visible now, whatever real time says.
      current.visibleAt = Math.min(current.visibleAt, this.now());
      this.ports.onAvailable();
    });
  }

  snapshot(): QueueSnapshot {
    return {
      ...this.address,
      attributes: { ...this.settable },
      createdAt: this.createdAt,
      lastModifiedAt: this.lastModifiedAt,
      tags: { ...this.tags },
      messages: [...this.messages.values()].map((message) => structuredClone(message)),
    };
  }

  /** Puts saved messages back; those still hidden come back when their time is up. */
  restoreMessages(messages: readonly StoredMessage[]): void {
    const now = this.now();
    for (const message of messages) {
      const copy = structuredClone(message);
      this.messages.set(copy.messageId, copy);
      if (copy.visibleAt > now) this.becomeVisibleIn(copy, copy.visibleAt - now, 'hidden time');
    }
    if (this.hasVisible()) this.ports.onAvailable();
  }
}
