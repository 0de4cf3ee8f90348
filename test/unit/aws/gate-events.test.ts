import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  batches,
  EventBridgeGateEvents,
  entrySize,
  GateEventsError,
  MAX_REQUEST_BYTES,
} from '../../../functions/aws/gate-events.ts';
import type { ConnectionEventDetail } from '../../../functions/shared/events.ts';

const BUS = 'plgate-bus';
const eb = new EventBridgeClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
const ebMock = mockClient(eb);
const events = (sleep = async (_ms: number) => {}) =>
  new EventBridgeGateEvents(eb, BUS, { retry: { sleep, maxRetries: 2 } });
const detail = (n: number, raw?: unknown): ConnectionEventDetail => ({
  serviceId: 'vpce-svc-0123456789abcdef0',
  endpointId: `vpce-${n.toString(16).padStart(17, '0')}`,
  trigger: 'notification',
  ...(raw === undefined ? {} : { raw }),
});

beforeEach(() => {
  ebMock.reset();
});

describe('EventBridgeGateEvents', () => {
  it('puts connection events in calls of at most 10, with the gate source and detail type', async () => {
    ebMock.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })),
    }));
    await events().connectionEvents(Array.from({ length: 23 }, (_, i) => detail(i)));
    const calls = ebMock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(calls[0]?.[0]).toEqual({
      EventBusName: BUS,
      Source: 'privatelink-gate',
      DetailType: 'Connection Event',
      Detail: JSON.stringify(detail(0)),
    });
  });

  it('sends decisions and sweep requests with their detail types', async () => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    await events().requestSweep({
      reason: 'continuation',
      cursor: { serviceId: 'vpce-svc-0123456789abcdef0' },
    });
    await events().decisions([]);
    const calls = ebMock.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.Entries?.[0]?.DetailType).toBe('Sweep Requested');
  });

  it('reads FailedEntryCount and retries only the failed entries', async () => {
    ebMock
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [
          { EventId: 'a' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow' },
          { EventId: 'c' },
        ],
      })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });
    const sleep = vi.fn(async (_ms: number) => {});
    await events(sleep).connectionEvents([detail(1), detail(2), detail(3)]);
    const calls = ebMock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
    expect(calls[1]).toEqual([calls[0]?.[1]]);
    expect(sleep).toHaveBeenCalledTimes(1);
  });

  it('throws after the bound so nothing is lost silently', async () => {
    ebMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'oops' }],
    });
    await expect(events().connectionEvents([detail(1)])).rejects.toThrow(
      /1 of 1 events not put on plgate-bus after 3 attempts \(InternalFailure\)/,
    );
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(3);
  });

  it('propagates an error of the whole call', async () => {
    ebMock.on(PutEventsCommand).rejects(Object.assign(new Error('nope'), { name: 'AccessDeniedException' }));
    await expect(events().connectionEvents([detail(1)])).rejects.toThrow('nope');
  });

  it('trims the raw notification from an event that would be too large', async () => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'x' }] });
    await events().connectionEvents([detail(1, { Message: 'x'.repeat(300_000) })]);
    const sent = ebMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    const parsed: unknown = JSON.parse(sent?.Detail ?? '');
    expect(parsed).toMatchObject({ endpointId: detail(1).endpointId, raw: { trimmed: true } });
    expect(entrySize(sent ?? {})).toBeLessThan(MAX_REQUEST_BYTES);
  });

  it('refuses a decision record too large for EventBridge, naming it', async () => {
    const huge = { reasons: ['y'.repeat(MAX_REQUEST_BYTES)] };
    await expect(events().decisions([huge as never])).rejects.toThrow(GateEventsError);
  });
});

describe('batching by size', () => {
  it('starts a new call before 256 KB', () => {
    const entry = (bytes: number) => ({ Source: 's', DetailType: 'd', Detail: 'x'.repeat(bytes) });
    const groups = batches([entry(100_000), entry(100_000), entry(100_000), entry(10)]);
    expect(groups.map((g) => g.length)).toEqual([2, 2]);
  });

  it('counts UTF-8 bytes, Resources and 14 bytes for Time', () => {
    expect(
      entrySize({ Source: 'ab', DetailType: 'é', Detail: '{}', Resources: ['r'], Time: new Date() }),
    ).toBe(2 + 2 + 2 + 1 + 14);
  });
});
