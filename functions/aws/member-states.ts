/**
 * What the hub knows of each fleet member region, one item per member in the ledger table
 * (partition `member#ACCOUNT:REGION`, never an endpoint id): whether it could be reached at
 * the last look, why not, and when it last sent an event and was last swept. `plgate fleet`
 * reads it; the health flip is what makes exactly one notice per change.
 */
import { BatchGetCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ServicePlace } from '../core/connection.ts';
import { LEDGER_STATE_SK, LEDGER_TABLE_KEY } from '../shared/tables.ts';
import { chunk } from './batch-retry.ts';

export const MEMBER_PARTITION_PREFIX = 'member#';

export interface MemberState {
  account: string;
  region: string;
  healthy?: boolean;
  reason?: string;
  /** ISO time the health last changed. */
  since?: string;
  lastEventAt?: string;
  lastSweepAt?: string;
  /** Throttled EC2 attempts the hub's functions met in the member in `throttledHour`. */
  throttledCalls?: number;
  /** The UTC hour the count is for, `YYYY-MM-DDTHH`. */
  throttledHour?: string;
}

/** The UTC hour a throttled call is counted in. */
export const throttleHourOf = (at: Date): string => at.toISOString().slice(0, 13);

const keyOf = ({ account, region }: ServicePlace): Record<string, string> => ({
  [LEDGER_TABLE_KEY.partitionKey]: `${MEMBER_PARTITION_PREFIX}${account}:${region}`,
  [LEDGER_TABLE_KEY.sortKey]: LEDGER_STATE_SK,
});

/** How often a container notes a member's last event at most. */
export const EVENT_NOTE_INTERVAL_MS = 60_000;

export class DynamoMemberStates {
  /** When this container last noted each member's last event (`ACCOUNT:REGION` -> ms). */
  readonly #lastEventNoted = new Map<string, number>();
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.#doc = doc;
    this.#table = table;
  }

  /**
   * Records the member's health; true when it changed (the first look counts as a change only
   * when unhealthy). DynamoDB applies updates one at a time, so of many containers that see
   * the same change exactly one gets `true` and sends the notice. `swept`: the member was
   * swept now (lastSweepAt), in the same write.
   */
  async recordHealth(
    place: ServicePlace,
    healthy: boolean,
    now: Date,
    reason?: string,
    options: { swept?: boolean } = {},
  ): Promise<boolean> {
    const at = now.toISOString();
    const out = await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: keyOf(place),
        UpdateExpression: `SET healthy = :healthy, memberAccount = :account, memberRegion = :region, since = if_not_exists(since, :at)${options.swept ? ', lastSweepAt = :at' : ''}${reason === undefined ? ' REMOVE reason' : ', reason = :reason'}`,
        ExpressionAttributeValues: {
          ':healthy': healthy,
          ':account': place.account,
          ':region': place.region,
          ':at': at,
          ...(reason === undefined ? {} : { ':reason': reason }),
        },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    const before: unknown = out.Attributes?.healthy;
    const changed = healthy ? before === false : before !== false;
    if (changed) await this.#touch(place, 'since', at);
    return changed;
  }

  /**
   * Notes when the member last sent an event, at most once a minute per container: `plgate
   * fleet` shows when a member was last heard from, and a write for every notification would
   * cost each request in a member two writes. (Its last sweep is noted with its health.)
   */
  async noteEvent(place: ServicePlace, now: Date): Promise<void> {
    const key = `${place.account}:${place.region}`;
    const last = this.#lastEventNoted.get(key);
    if (last !== undefined && now.getTime() - last < EVENT_NOTE_INTERVAL_MS && now.getTime() >= last) return;
    this.#lastEventNoted.set(key, now.getTime());
    await this.#touch(place, 'lastEventAt', now.toISOString());
  }

  /** One conditional update of the member's record; false when its condition did not hold. */
  async #updateIf(
    place: ServicePlace,
    update: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: keyOf(place),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async #touch(place: ServicePlace, field: string, at: string): Promise<void> {
    await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: keyOf(place),
        UpdateExpression: 'SET #field = :at, memberAccount = :account, memberRegion = :region',
        ExpressionAttributeNames: { '#field': field },
        ExpressionAttributeValues: { ':at': at, ':account': place.account, ':region': place.region },
      }),
    );
  }

  /**
   * Adds throttled attempts to the member's count for the hour; the first count of an hour
   * starts it over. Two conditional writes at most, whichever containers race.
   */
  async addThrottled(place: ServicePlace, count: number, now: Date): Promise<void> {
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(`count must be a whole number of throttled calls, got ${count}`);
    const hour = throttleHourOf(now);
    const values = { ':n': count, ':hour': hour, ':account': place.account, ':region': place.region };
    const member = 'memberAccount = :account, memberRegion = :region';
    for (let attempt = 0; attempt < 3; attempt += 1) {
      if (
        await this.#updateIf(
          place,
          `SET throttledCalls = throttledCalls + :n, ${member}`,
          'throttledHour = :hour',
          values,
        )
      )
        return;
      // Another container may start the hour between these two writes: then add to its count.
      if (
        await this.#updateIf(
          place,
          `SET throttledHour = :hour, throttledCalls = :n, ${member}`,
          'attribute_not_exists(throttledHour) OR throttledHour < :hour',
          values,
        )
      )
        return;
    }
    throw new Error(`the throttled calls of ${place.account}:${place.region} could not be counted`);
  }

  /** The states of these members; a member never recorded is absent. */
  async states(places: ServicePlace[]): Promise<MemberState[]> {
    const found: MemberState[] = [];
    for (const batch of chunk(places, 100)) {
      let keys: Record<string, unknown>[] = batch.map(keyOf);
      while (keys.length > 0) {
        const out = await this.#doc.send(
          new BatchGetCommand({ RequestItems: { [this.#table]: { Keys: keys } } }),
        );
        for (const item of out.Responses?.[this.#table] ?? []) {
          const state = toMemberState(item);
          if (state) found.push(state);
        }
        keys = (out.UnprocessedKeys?.[this.#table]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return found;
  }
}

function toMemberState(item: Record<string, unknown>): MemberState | undefined {
  const {
    memberAccount: account,
    memberRegion: region,
    healthy,
    reason,
    since,
    lastEventAt,
    lastSweepAt,
    throttledCalls,
    throttledHour,
  } = item;
  if (typeof account !== 'string' || typeof region !== 'string') return undefined;
  return {
    account,
    region,
    ...(typeof healthy === 'boolean' ? { healthy } : {}),
    ...(typeof reason === 'string' ? { reason } : {}),
    ...(typeof since === 'string' ? { since } : {}),
    ...(typeof lastEventAt === 'string' ? { lastEventAt } : {}),
    ...(typeof lastSweepAt === 'string' ? { lastSweepAt } : {}),
    ...(typeof throttledCalls === 'number' && typeof throttledHour === 'string'
      ? { throttledCalls, throttledHour }
      : {}),
  };
}
