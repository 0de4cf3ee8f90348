/**
 * EventBridge of the local cloud: `PutEvents` on any bus name, events kept for
 * inspection and delivered to in-process subscribers (Lambda stand-ins) whose
 * filter matches, as the `EventBridgeEvent` a rule target would get.
 */

import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import type { Deliveries } from '../deliveries.ts';
import { RingBuffer } from '../ring-buffer.ts';

export type BusEvent = EventBridgeEvent<string, unknown>;
export type BusEventFilter = (event: BusEvent) => boolean;
export type BusEventHandler = (event: BusEvent) => Promise<unknown>;

export interface PutEventsEntry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  EventBusName?: unknown;
  Resources?: unknown;
  Time?: unknown;
}

export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

/** Where an event was put: the bus's account, region and name. */
export interface BusPlace {
  account: string;
  region: string;
  name: string;
}

/** Called for every event a bus receives (the rules of the bus route it). */
export type BusListener = (place: BusPlace, event: BusEvent) => void;

interface Subscription {
  /** The account and region of the bus: buses, like their names, are per account and region. */
  account: string;
  region: string;
  busName: string;
  filter: BusEventFilter;
  handler: BusEventHandler;
}

/** `name` or `arn:aws:events:REGION:ACCOUNT:event-bus/name` → `name`; default bus when absent. */
export function busNameOf(value: unknown): string | undefined {
  return busAddressOf(value, '')?.name;
}

export interface BusAddress {
  account: string;
  name: string;
}

/** The bus an `EventBusName` names: a name is the caller's own bus, an ARN names its account. */
export function busAddressOf(value: unknown, callerAccount: string): BusAddress | undefined {
  if (value === undefined || value === null || value === '')
    return { account: callerAccount, name: 'default' };
  if (typeof value !== 'string') return undefined;
  const arn = /^arn:aws[a-z-]*:events:[a-z0-9-]+:([0-9]{12}):event-bus\/([A-Za-z0-9/._-]{1,256})$/.exec(
    value,
  );
  if (arn !== null) return { account: arn[1] ?? callerAccount, name: arn[2] ?? '' };
  return /^[A-Za-z0-9/._-]{1,256}$/.test(value) ? { account: callerAccount, name: value } : undefined;
}

/** EventBridge's event time format: ISO 8601 without milliseconds. */
function eventTime(value: unknown, now: number): string | undefined {
  let date: Date;
  if (value === undefined || value === null) date = new Date(now);
  else if (typeof value === 'number') date = new Date(value * 1000);
  else if (typeof value === 'string') date = new Date(value);
  else return undefined;
  if (Number.isNaN(date.getTime())) return undefined;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const invalid = (name: string, reason: string): PutEventsResultEntry => ({
  ErrorCode: 'InvalidArgument',
  ErrorMessage: `Parameter ${name} is not valid. Reason: ${reason}`,
});

/** How many events `/_plgate/events` keeps: the most recent ones. */
export const CAPTURED_EVENTS = 1000;

export class EventBuses {
  private readonly subscriptions = new Set<Subscription>();
  private readonly listeners = new Set<BusListener>();
  private readonly received = new RingBuffer<{ busName: string; event: BusEvent }>(CAPTURED_EVENTS);
  /** Buses other than each account's and region's `default`, as `account/region/name`. */
  private readonly created = new Set<string>();

  constructor(
    private readonly deliveries: Deliveries,
    private readonly log: (line: string) => void,
    /** Whose buses in-process subscribers listen on. */
    private readonly providerAccount = '000000000000',
    /** The cloud's clock: an event put without a Time is stamped with it. */
    private readonly clock: { now(): number } = { now: () => Date.now() },
    /** The provider's region: in-process subscribers' buses are there, and buses `--data` kept before regions were. */
    private readonly providerRegion = 'us-east-1',
  ) {}

  /** Makes a bus exist (a stack creating it); the default bus always exists. */
  createBus(account: string, region: string, name: string): void {
    if (name !== 'default') this.created.add(`${account}/${region}/${name}`);
  }

  /** Removes a bus the API created; the default bus stays. */
  deleteBus(account: string, region: string, name: string): void {
    this.created.delete(`${account}/${region}/${name}`);
  }

  /** The created buses as `account/region/name`, for `--data`; in-process subscribers are made again. */
  snapshot(): { buses: string[] } {
    return { buses: [...this.created].sort() };
  }

  /** Takes `account/region/name`, and `account/name` (a snapshot from before regions) as the provider's region. */
  restore(snapshot: { buses: readonly string[] }): void {
    this.created.clear();
    for (const bus of snapshot.buses) {
      const [account = '', second = '', ...rest] = bus.split('/');
      this.created.add(
        /^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/.test(second) && rest.length > 0
          ? bus
          : `${account}/${this.providerRegion}/${[second, ...rest].join('/')}`,
      );
    }
  }

  exists(account: string, region: string, name: string): boolean {
    return name === 'default' || this.created.has(`${account}/${region}/${name}`);
  }

  /** The names of an account's buses in a region, `default` first. */
  busNames(account: string, region: string): string[] {
    const prefix = `${account}/${region}/`;
    const own = [...this.created]
      .filter((key) => key.startsWith(prefix))
      .map((key) => key.slice(prefix.length))
      .sort();
    return ['default', ...own];
  }

  /** Subscribes an in-process handler to one of the provider's buses; creates the bus. */
  subscribe(busName: string, filter: BusEventFilter, handler: BusEventHandler): () => void {
    const subscription: Subscription = {
      account: this.providerAccount,
      region: this.providerRegion,
      busName,
      filter,
      handler,
    };
    this.createBus(this.providerAccount, this.providerRegion, busName);
    this.subscriptions.add(subscription);
    return () => {
      this.subscriptions.delete(subscription);
    };
  }

  /** Calls `listener` with every event any bus receives; returns what stops it. */
  listen(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The most recent events put, oldest first; only those of `busName` when given. */
  events(busName?: string): BusEvent[] {
    return this.received
      .toArray()
      .filter((entry) => busName === undefined || entry.busName === busName)
      .map((e) => e.event);
  }

  put(account: string, region: string, entry: PutEventsEntry): PutEventsResultEntry {
    const { Source, DetailType, Detail, Resources } = entry;
    if (typeof Source !== 'string' || Source === '')
      return invalid('Source', 'Source is a required argument.');
    if (Source.startsWith('aws.')) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    }
    if (typeof DetailType !== 'string' || DetailType === '') {
      return invalid('DetailType', 'DetailType is a required argument.');
    }
    if (typeof Detail !== 'string' || Detail === '')
      return invalid('Detail', 'Detail is a required argument.');
    let detail: unknown;
    try {
      detail = JSON.parse(Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    const bus = busAddressOf(entry.EventBusName, account);
    if (bus === undefined)
      return invalid('EventBusName', `'${String(entry.EventBusName)}' is not a bus name or ARN.`);
    const resources =
      Resources === undefined || Resources === null
        ? []
        : Array.isArray(Resources) && Resources.every((resource) => typeof resource === 'string')
          ? Resources.map(String)
          : undefined;
    if (resources === undefined) return invalid('Resources', 'Resources must be a list of ARNs.');
    const time = eventTime(entry.Time, this.clock.now());
    if (time === undefined) return invalid('Time', `'${String(entry.Time)}' is not a timestamp.`);
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': DetailType,
      source: Source,
      account,
      time,
      region,
      resources,
      detail,
    };
    this.deliver(bus.name, event, bus.account, region);
    return { EventId: event.id };
  }

  /**
   * Records an event and hands it to the matching subscribers of its bus. AWS
   * services (CloudTrail) put their events this way, past PutEvents' checks.
   */
  deliver(
    busName: string,
    event: BusEvent,
    busAccount: string = event.account,
    busRegion: string = event.region,
  ): void {
    this.received.push({ busName, event });
    for (const listener of this.listeners) {
      try {
        listener({ account: busAccount, region: busRegion, name: busName }, event);
      } catch (error) {
        this.log(
          `eventbridge routing on ${busName} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    for (const subscription of this.subscriptions) {
      if (
        subscription.busName !== busName ||
        subscription.account !== busAccount ||
        subscription.region !== busRegion
      )
        continue;
      let matches: boolean;
      try {
        matches = subscription.filter(event);
      } catch (error) {
        this.log(
          `eventbridge filter on ${busName} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        continue;
      }
      if (!matches) continue;
      this.deliveries.enqueue(
        subscription,
        `eventbridge ${busName} ${event['detail-type']} ${event.id}`,
        () => subscription.handler(event),
      );
    }
  }
}
