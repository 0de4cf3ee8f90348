/**
 * What an EventBridge request asks IAM for: `events:PutEvents` on each entry's bus (a name
 * is the caller's own bus, an ARN may name another account's, which its resource policy
 * must then allow), `events:Describe/Create/DeleteEventBus` on the bus it names,
 * `events:DescribeRule` and `events:ListTargetsByRule` on the rule, and `events:ListEventBuses`
 * and `events:ListRules` on `*`. A bus without a policy admits no other account.
 */

import { busAddressOf } from '../events/buses.ts';
import type { Caller } from '../identity.ts';
import type { AccessRequest, PolicyDocument } from './authorizer.ts';

/** A bus's resource policy (a stack's `AWS::Events::EventBus` Policy), if it has one. */
export type BusPolicyOf = (region: string, account: string, name: string) => PolicyDocument | undefined;

const busArn = (region: string, account: string, name: string) =>
  `arn:aws:events:${region}:${account}:event-bus/${name}`;

export function eventsAccessRequests(
  caller: Caller,
  operation: string,
  body: unknown,
  policyOf: BusPolicyOf = () => undefined,
): AccessRequest[] {
  const action = `events:${operation}`;
  const onBus = (value: unknown): AccessRequest[] => {
    const bus = busAddressOf(value, caller.account);
    // A malformed bus name is the operation's to report.
    if (bus === undefined) return [];
    const resourcePolicy = policyOf(caller.region, bus.account, bus.name);
    return [
      {
        action,
        resource: busArn(caller.region, bus.account, bus.name),
        resourceAccount: bus.account,
        ...(resourcePolicy === undefined ? {} : { resourcePolicy }),
      },
    ];
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
  if (operation === 'DescribeRule' || operation === 'ListTargetsByRule') {
    const name = fields.get(operation === 'DescribeRule' ? 'Name' : 'Rule');
    const bus = busAddressOf(fields.get('EventBusName'), caller.account);
    if (typeof name !== 'string' || bus === undefined) return [];
    const path = bus.name === 'default' ? name : `${bus.name}/${name}`;
    return [
      {
        action,
        resource: `arn:aws:events:${caller.region}:${bus.account}:rule/${path}`,
        resourceAccount: bus.account,
      },
    ];
  }
  return [{ action, resource: '*', resourceAccount: caller.account }];
}
