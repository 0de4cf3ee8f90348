/**
 * The EventBridge JSON API (`AWSEvents.*`, awsJson1_1) of the local cloud: PutEvents,
 * Create/Delete/DescribeEventBus, ListEventBuses, and for the rules a stack made, ListRules,
 * DescribeRule and ListTargetsByRule (rules come from templates: there is no PutRule here).
 */
import type { Caller } from '../identity.ts';
import { busAddressOf, type EventBuses, type PutEventsEntry, type PutEventsResultEntry } from './buses.ts';
import { type EventRule, type EventRules, ruleArnOf } from './rules.ts';

export interface JsonResponse {
  status: number;
  /** The error type, also sent as `x-amzn-ErrorType`. */
  errorType?: string;
  body: unknown;
}

const MAX_ENTRIES = 10;
/**
 * PutEvents takes at most 256 KB of entries in one request, sized as EventBridge's
 * "Calculating PutEvents event entry size" says: Time counts 14 bytes, Source,
 * DetailType, Detail and each resource their UTF-8 bytes. Over it the whole request
 * fails with ValidationException.
 */
export const MAX_ENTRIES_BYTES = 256 * 1024;

const utf8Bytes = (value: unknown): number =>
  typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0;

/** An entry's size as EventBridge counts it; fields of the wrong type count nothing (they fail on their own). */
export function entrySize(entry: unknown): number {
  if (!isEntry(entry)) return 0;
  let size = entry.Time === undefined || entry.Time === null ? 0 : 14;
  size += utf8Bytes(entry.Source) + utf8Bytes(entry.DetailType) + utf8Bytes(entry.Detail);
  if (Array.isArray(entry.Resources)) for (const resource of entry.Resources) size += utf8Bytes(resource);
  return size;
}

export function jsonError(status: number, type: string, message: string): JsonResponse {
  return { status, errorType: type, body: { __type: type, message } };
}

function isEntry(value: unknown): value is PutEventsEntry {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function handleEventsRequest(
  buses: EventBuses,
  caller: Caller,
  operation: string,
  body: unknown,
  rules?: EventRules,
): JsonResponse {
  if (rules !== undefined) {
    if (operation === 'ListRules') return listRules(rules, caller, body);
    if (operation === 'DescribeRule') return describeRule(rules, caller, body);
    if (operation === 'ListTargetsByRule') return listTargetsByRule(rules, caller, body);
  }
  if (operation === 'ListEventBuses') return listEventBuses(buses, caller, body);
  if (operation === 'DescribeEventBus') return describeEventBus(buses, caller, body);
  if (operation === 'CreateEventBus') return createEventBus(buses, caller, body);
  if (operation === 'DeleteEventBus') return deleteEventBus(buses, caller, body);
  if (operation !== 'PutEvents') {
    return jsonError(
      400,
      'UnknownOperationException',
      `Operation ${operation} is not supported by the local cloud`,
    );
  }
  const entries = typeof body === 'object' && body !== null && 'Entries' in body ? body.Entries : undefined;
  if (!Array.isArray(entries)) {
    return jsonError(
      400,
      'ValidationException',
      "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
    );
  }
  if (entries.length < 1 || entries.length > MAX_ENTRIES) {
    return jsonError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${entries.length} entries' at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
    );
  }
  const size = entries.reduce((sum: number, entry: unknown) => sum + entrySize(entry), 0);
  if (size > MAX_ENTRIES_BYTES) {
    return jsonError(
      400,
      'ValidationException',
      'Total size of the entries in the request is over the limit.',
    );
  }
  const results: PutEventsResultEntry[] = entries.map((entry) =>
    isEntry(entry)
      ? buses.put(caller.account, caller.region, entry)
      : {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Parameter Entry is not valid. Reason: not an object.',
        },
  );
  return {
    status: 200,
    body: {
      FailedEntryCount: results.filter((result) => result.ErrorCode !== undefined).length,
      Entries: results,
    },
  };
}

const busArn = (caller: Caller, account: string, name: string) =>
  `arn:aws:events:${caller.region}:${account}:event-bus/${name}`;

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? new Map(Object.entries(body)).get(name) : undefined;
}

function listEventBuses(buses: EventBuses, caller: Caller, body: unknown): JsonResponse {
  const prefix = field(body, 'NamePrefix');
  if (prefix !== undefined && typeof prefix !== 'string') {
    return jsonError(400, 'ValidationException', 'NamePrefix must be a string');
  }
  const names = buses
    .busNames(caller.account, caller.region)
    .filter((name) => prefix === undefined || name.startsWith(prefix));
  return {
    status: 200,
    body: { EventBuses: names.map((name) => ({ Name: name, Arn: busArn(caller, caller.account, name) })) },
  };
}

function describeEventBus(buses: EventBuses, caller: Caller, body: unknown): JsonResponse {
  const bus = busAddressOf(field(body, 'Name'), caller.account);
  if (bus === undefined) {
    return jsonError(400, 'ValidationException', `'${String(field(body, 'Name'))}' is not a bus name or ARN`);
  }
  if (!buses.exists(bus.account, caller.region, bus.name)) {
    return jsonError(400, 'ResourceNotFoundException', `Event bus ${bus.name} does not exist.`);
  }
  return { status: 200, body: { Name: bus.name, Arn: busArn(caller, bus.account, bus.name) } };
}

const BUS_NAME = /^[A-Za-z0-9._-]{1,256}$/;

function createEventBus(buses: EventBuses, caller: Caller, body: unknown): JsonResponse {
  const name = field(body, 'Name');
  if (typeof name !== 'string' || !BUS_NAME.test(name)) {
    return jsonError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${String(name)}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+`,
    );
  }
  if (name === 'default' || name.startsWith('aws.')) {
    return jsonError(400, 'ValidationException', `Event bus name ${name} is reserved.`);
  }
  if (buses.exists(caller.account, caller.region, name)) {
    return jsonError(400, 'ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
  }
  buses.createBus(caller.account, caller.region, name);
  return { status: 200, body: { EventBusArn: busArn(caller, caller.account, name) } };
}

/** Deleting a bus that does not exist succeeds, as on AWS; the default bus cannot be deleted. */
function deleteEventBus(buses: EventBuses, caller: Caller, body: unknown): JsonResponse {
  const name = field(body, 'Name');
  if (typeof name !== 'string' || !BUS_NAME.test(name)) {
    return jsonError(400, 'ValidationException', `'${String(name)}' is not a bus name`);
  }
  if (name === 'default') return jsonError(400, 'ValidationException', 'Cannot delete event bus default.');
  buses.deleteBus(caller.account, caller.region, name);
  return { status: 200, body: {} };
}

/** The rule a DescribeRule / ListTargetsByRule names, or the error EventBridge answers. */
function namedRule(rules: EventRules, caller: Caller, body: unknown): EventRule | JsonResponse {
  const name = field(body, 'Name') ?? field(body, 'Rule');
  if (typeof name !== 'string' || !/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) {
    return jsonError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${String(name)}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
    );
  }
  const bus = busAddressOf(field(body, 'EventBusName'), caller.account);
  if (bus === undefined) {
    return jsonError(
      400,
      'ValidationException',
      `'${String(field(body, 'EventBusName'))}' is not a bus name or ARN`,
    );
  }
  const rule = rules.get(bus.account, caller.region, bus.name, name);
  if (rule === undefined) {
    return jsonError(
      400,
      'ResourceNotFoundException',
      `Rule ${name} does not exist on EventBus ${bus.name}.`,
    );
  }
  return rule;
}

function ruleBody(rule: EventRule): Record<string, unknown> {
  return {
    Name: rule.name,
    Arn: ruleArnOf(rule),
    ...(rule.eventPattern === undefined ? {} : { EventPattern: rule.eventPattern }),
    ...(rule.scheduleExpression === undefined ? {} : { ScheduleExpression: rule.scheduleExpression }),
    State: rule.state,
    ...(rule.description === undefined ? {} : { Description: rule.description }),
    ...(rule.roleArn === undefined ? {} : { RoleArn: rule.roleArn }),
    EventBusName: rule.busName,
  };
}

const MAX_RULES_PAGE = 100;

/** A page of `items` after `NextToken` (an offset), `Limit` long. */
function page<T>(items: readonly T[], body: unknown): { items: T[]; next?: string } | JsonResponse {
  const limit = field(body, 'Limit') ?? MAX_RULES_PAGE;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_RULES_PAGE) {
    return jsonError(
      400,
      'ValidationException',
      `Limit must be a whole number from 1 to ${MAX_RULES_PAGE}, got ${String(limit)}`,
    );
  }
  const token = field(body, 'NextToken');
  const start = token === undefined || token === null ? 0 : Number(token);
  if (!Number.isInteger(start) || start < 0) {
    return jsonError(400, 'ValidationException', `NextToken '${String(token)}' is not one this API gave`);
  }
  const end = start + limit;
  return { items: items.slice(start, end), ...(end < items.length ? { next: String(end) } : {}) };
}

function listRules(rules: EventRules, caller: Caller, body: unknown): JsonResponse {
  const prefix = field(body, 'NamePrefix');
  if (prefix !== undefined && typeof prefix !== 'string') {
    return jsonError(400, 'ValidationException', 'NamePrefix must be a string');
  }
  const bus = busAddressOf(field(body, 'EventBusName'), caller.account);
  if (bus === undefined) {
    return jsonError(
      400,
      'ValidationException',
      `'${String(field(body, 'EventBusName'))}' is not a bus name or ARN`,
    );
  }
  const found = page(rules.list(bus.account, caller.region, bus.name, prefix ?? ''), body);
  if ('status' in found) return found;
  return {
    status: 200,
    body: {
      Rules: found.items.map(ruleBody),
      ...(found.next === undefined ? {} : { NextToken: found.next }),
    },
  };
}

function describeRule(rules: EventRules, caller: Caller, body: unknown): JsonResponse {
  const rule = namedRule(rules, caller, body);
  if ('status' in rule) return rule;
  return { status: 200, body: { ...ruleBody(rule), CreatedBy: rule.account } };
}

function listTargetsByRule(rules: EventRules, caller: Caller, body: unknown): JsonResponse {
  const rule = namedRule(rules, caller, body);
  if ('status' in rule) return rule;
  const found = page(rule.targets, body);
  if ('status' in found) return found;
  return {
    status: 200,
    body: { Targets: found.items, ...(found.next === undefined ? {} : { NextToken: found.next }) },
  };
}
