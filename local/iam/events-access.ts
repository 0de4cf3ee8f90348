/**
 * What an EventBridge request asks IAM for: `events:PutEvents` on each entry's bus (a name
 * is the caller's own bus, an ARN may name another account's), `events:Describe/Create/
 * DeleteEventBus` on the bus it names, and `events:ListEventBuses` on `*`. The local cloud's buses have no
 * resource policy, so no other account may use them.
 */

import { busAddressOf } from '../events/buses.ts';
import type { Caller } from '../identity.ts';
import type { AccessRequest } from './authorizer.ts';

const busArn = (region: string, account: string, name: string) =>
  `arn:aws:events:${region}:${account}:event-bus/${name}`;

export function eventsAccessRequests(caller: Caller, operation: string, body: unknown): AccessRequest[] {
  const action = `events:${operation}`;
  const onBus = (value: unknown): AccessRequest[] => {
    const bus = busAddressOf(value, caller.account);
    // A malformed bus name is the operation's to report.
    if (bus === undefined) return [];
    return [{ action, resource: busArn(caller.region, bus.account, bus.name), resourceAccount: bus.account }];
  };
  const fields = typeof body === 'object' && body !== null ? new Map(Object.entries(body)) : new Map();
  if (operation === 'PutEvents') {
    const entries = fields.get('Entries');
    if (!Array.isArray(entries)) return [];
    return entries.flatMap((entry: unknown) =>
      typeof entry === 'object' && entry !== null
        ? onBus(new Map(Object.entries(entry)).get('EventBusName'))
        : [],
    );
  }
  if (operation === 'DescribeEventBus' || operation === 'CreateEventBus' || operation === 'DeleteEventBus') {
    return onBus(fields.get('Name'));
  }
  return [{ action, resource: '*', resourceAccount: caller.account }];
}
