/**
 * A member's last event is noted at most once a minute per container: `plgate fleet` shows when
 * a member was last heard from, and a write per notification would cost every request in a
 * member two DynamoDB writes more than the budget allows.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoMemberStates, EVENT_NOTE_INTERVAL_MS } from '../../../functions/aws/member-states.ts';

function recordingStates() {
  const writes: string[] = [];
  const doc = {
    send: async (command: {
      input: { ExpressionAttributeNames?: Record<string, string>; Key?: unknown };
    }) => {
      writes.push(
        `${JSON.stringify(command.input.Key)} ${command.input.ExpressionAttributeNames?.['#field']}`,
      );
      return {};
    },
  } as unknown as DynamoDBDocumentClient;
  return { states: new DynamoMemberStates(doc, 'ledger'), writes };
}

const A = { account: '111111111111', region: 'eu-west-1' };
const B = { account: '222222222222', region: 'us-west-2' };

describe("a member's last event", () => {
  it('is written once a minute per member, however many events arrive', async () => {
    // Prepare
    const { states, writes } = recordingStates();
    const start = Date.parse('2026-12-07T10:00:00Z');
    // Act
    await states.noteEvent(A, new Date(start));
    await states.noteEvent(A, new Date(start + 1_000));
    await states.noteEvent(B, new Date(start + 2_000));
    await states.noteEvent(A, new Date(start + EVENT_NOTE_INTERVAL_MS - 1));
    await states.noteEvent(A, new Date(start + EVENT_NOTE_INTERVAL_MS));
    // Assess
    expect(writes).toHaveLength(3);
    expect(writes.filter((w) => w.includes('111111111111'))).toHaveLength(2);
  });

  it('is written again when the clock went back (a container must never go silent)', async () => {
    const { states, writes } = recordingStates();
    const start = Date.parse('2026-12-07T10:00:00Z');
    await states.noteEvent(A, new Date(start));
    await states.noteEvent(A, new Date(start - 5_000));
    expect(writes).toHaveLength(2);
  });
});

describe("a member's health, recorded by the sweep", () => {
  it('notes the last sweep in the same write when the member was swept, and not otherwise', async () => {
    const expressions: string[] = [];
    const doc = {
      send: async (command: { input: { UpdateExpression?: string } }) => {
        expressions.push(command.input.UpdateExpression ?? '');
        return {};
      },
    } as unknown as DynamoDBDocumentClient;
    const states = new DynamoMemberStates(doc, 'ledger');
    const at = new Date('2026-12-07T10:00:00Z');
    await states.recordHealth(A, true, at, undefined, { swept: true });
    await states.recordHealth(B, false, at, 'AccessDenied: no role');
    // One write for the swept member; the unhealthy one's first look is a change (its `since`).
    expect(expressions[0]).toContain('lastSweepAt = :at');
    expect(expressions.slice(1).join(' ')).not.toContain('lastSweepAt');
    expect(expressions).toHaveLength(3);
  });
});
