/**
 * What a spoke's topic delivers to the hub's fleet ingest queue: SNS envelopes (raw delivery
 * is off, so the topic's ARN, the member's account and region, comes with every message).
 * Only members' spoke topics count: a listed member's by its ARN, an organizational unit's by
 * the spoke topic's name in one of the fleet's regions (the queue's policy already admits only
 * the organization's accounts).
 */
import type { ServicePlace } from '../core/connection.ts';
import { spokeTopicArn, spokeTopicName } from '../shared/fleet.ts';
import { ingestNotifications, type NotificationDeps } from './ingest.ts';
import { idsIn } from './named-ids.ts';

export interface SpokeIngestDeps extends Omit<NotificationDeps, 'place' | 'now'> {
  fleet: SpokeFleet;
  /** Told where each notified service lives (the hub's EC2 router). */
  router: { locate(serviceId: string, place: ServicePlace): void };
  /** Notes the member's last event, for `plgate fleet`. */
  memberStates: { noteEvent(place: ServicePlace, now: Date): Promise<void> };
  now: () => Date;
}

export type SpokeDelivery =
  | { kind: 'confirmation'; topicArn: string; token: string }
  | { kind: 'notification'; topicArn: string; messageId: string; message: string }
  | { kind: 'other'; topicArn?: string; type?: string }
  | { kind: 'invalid'; reason: string };

export interface SpokeFleet {
  members: readonly ServicePlace[];
  organizationalUnits: readonly string[];
  regions: readonly string[];
  spokeRoleName: string;
}

const TOPIC_ARN = /^arn:(aws[a-z-]*):sns:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):([\w-]{1,256})$/;

/** One queue message's body, read as an SNS envelope. */
export function readSpokeDelivery(body: string): SpokeDelivery {
  let envelope: unknown;
  try {
    envelope = JSON.parse(body);
  } catch {
    return { kind: 'invalid', reason: 'the body is not JSON' };
  }
  if (envelope === null || typeof envelope !== 'object') return { kind: 'invalid', reason: 'not an object' };
  const field = (name: string): string | undefined => {
    const value: unknown = Reflect.get(envelope, name);
    return typeof value === 'string' ? value : undefined;
  };
  const type = field('Type');
  const topicArn = field('TopicArn');
  if (topicArn === undefined) return { kind: 'invalid', reason: 'no TopicArn' };
  if (type === 'SubscriptionConfirmation') {
    const token = field('Token');
    if (token === undefined)
      return { kind: 'invalid', reason: 'a subscription confirmation without a Token' };
    return { kind: 'confirmation', topicArn, token };
  }
  if (type === 'Notification') {
    const message = field('Message');
    if (message === undefined) return { kind: 'invalid', reason: 'a notification without a Message' };
    return { kind: 'notification', topicArn, messageId: field('MessageId') ?? '', message };
  }
  return { kind: 'other', topicArn, ...(type === undefined ? {} : { type }) };
}

/** The member a topic belongs to, when it is one of the fleet's spoke topics; else undefined. */
export function spokeMemberOf(topicArn: string, fleet: SpokeFleet): ServicePlace | undefined {
  const match = TOPIC_ARN.exec(topicArn);
  if (!match) return undefined;
  const [, partition = '', region = '', account = '', name = ''] = match;
  if (name !== spokeTopicName(fleet.spokeRoleName)) return undefined;
  const listed = fleet.members.some(
    (member) =>
      member.account === account &&
      member.region === region &&
      spokeTopicArn(partition, account, region, fleet.spokeRoleName) === topicArn,
  );
  if (listed) return { account, region };
  if (fleet.organizationalUnits.length > 0 && fleet.regions.includes(region)) return { account, region };
  return undefined;
}

/**
 * The fleet ingest queue's messages (spoke topics' SNS envelopes): subscription confirmations
 * of members' topics are confirmed, notifications become Connection Events that carry the
 * member's account and region, anything from a topic that is not a member's is dropped.
 */
export async function ingestSpokeDeliveries(
  bodies: string[],
  deps: SpokeIngestDeps,
  confirm: (topicArn: string, region: string, token: string) => Promise<unknown>,
): Promise<{ forwarded: number; dropped: number; own: number; confirmed: number }> {
  const log = deps.log ?? (() => {});
  const totals = { forwarded: 0, dropped: 0, own: 0, confirmed: 0 };
  const byMember = new Map<
    string,
    { place: { account: string; region: string }; messages: { body: string; raw: unknown }[] }
  >();
  for (const body of bodies) {
    const delivery = readSpokeDelivery(body);
    if (delivery.kind === 'invalid' || delivery.kind === 'other') {
      totals.dropped += 1;
      log('fleet delivery dropped', { ...delivery });
      continue;
    }
    const place = spokeMemberOf(delivery.topicArn, deps.fleet);
    if (place === undefined) {
      totals.dropped += 1;
      log("fleet delivery from a topic that is not a member's spoke dropped", {
        topicArn: delivery.topicArn,
      });
      continue;
    }
    if (delivery.kind === 'confirmation') {
      await confirm(delivery.topicArn, place.region, delivery.token);
      totals.confirmed += 1;
      log('spoke subscription confirmed', { topicArn: delivery.topicArn });
      continue;
    }
    const key = `${place.account}:${place.region}`;
    const group = byMember.get(key) ?? { place, messages: [] };
    group.messages.push({
      body: delivery.message,
      raw: { topicArn: delivery.topicArn, messageId: delivery.messageId },
    });
    byMember.set(key, group);
  }
  for (const { place, messages } of byMember.values()) {
    // The spoke's topic is notified by the member's own services only.
    for (const { body } of messages) {
      for (const serviceId of idsIn(body).serviceIds) deps.router.locate(serviceId, place);
    }
    const { fleet: _fleet, router: _router, memberStates: _states, ...notificationDeps } = deps;
    const result = await ingestNotifications(messages, { ...notificationDeps, place });
    totals.forwarded += result.forwarded.length;
    totals.dropped += result.dropped;
    totals.own += result.own;
    await deps.memberStates.noteEvent(place, deps.now());
  }
  return totals;
}
