import { describe, expect, it } from 'vitest';
import { GateCallInFlightError } from '../../../functions/gate/manual-action.ts';
import { MovableClock } from '../../../local/clock.ts';
import { Deliveries, Timers } from '../../../local/deliveries.ts';

function deliveriesLogging(): { deliveries: Deliveries; lines: string[] } {
  const lines: string[] = [];
  return { deliveries: new Deliveries({ retries: 2, retryDelayMs: 1, log: (l) => lines.push(l) }), lines };
}

describe('a delivery retried', () => {
  it('is reported when it failed', async () => {
    const { deliveries, lines } = deliveriesLogging();
    let calls = 0;
    deliveries.enqueue({}, 'ingest', async () => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
    });
    await deliveries.idle();
    expect(calls).toBe(2);
    expect(lines).toEqual(['delivery attempt 1 failed, retrying: ingest: Error: boom']);
  });

  it('is quiet when the handler only waits for the gate’s own action to be recorded', async () => {
    const { deliveries, lines } = deliveriesLogging();
    let calls = 0;
    deliveries.enqueue({}, 'ingest', async () => {
      calls += 1;
      if (calls === 1) throw new GateCallInFlightError('not yet recorded');
    });
    await deliveries.idle();
    expect(calls).toBe(2);
    expect(lines).toEqual([]);
  });

  it('is reported when even the waiting ran out of attempts', async () => {
    const { deliveries, lines } = deliveriesLogging();
    deliveries.enqueue({}, 'ingest', async () => {
      throw new GateCallInFlightError('not yet recorded');
    });
    await deliveries.idle();
    expect(lines).toEqual([
      'delivery failed after 3 attempts: ingest: GateCallInFlightError: not yet recorded',
    ]);
  });
});

describe('timers', () => {
  it('a recurring timer is not work in flight: idle does not wait, flush leaves it, the clock fires it', async () => {
    // Prepare
    const clock = new MovableClock();
    const timers = new Timers(() => {}, clock);
    const fired: string[] = [];
    timers.schedule(60_000, 'schedule', () => fired.push('schedule'), { recurring: true });
    timers.schedule(60_000, 'visibility', () => fired.push('visibility'));
    // Act / Assess
    expect(timers.busy).toBe(true);
    timers.flush();
    expect(fired).toEqual(['visibility']);
    expect(timers.busy).toBe(false);
    await timers.idle();
    clock.advance(60_000);
    timers.fireDue();
    expect(fired).toEqual(['visibility', 'schedule']);
    timers.close();
  });

  it('a cancelled timer never fires and is no longer in flight', async () => {
    const clock = new MovableClock();
    const timers = new Timers(() => {}, clock);
    let fired = false;
    const cancel = timers.schedule(1000, 'retry', () => {
      fired = true;
    });
    cancel();
    clock.advance(1000);
    timers.fireDue();
    await timers.idle();
    expect([fired, timers.busy]).toEqual([false, false]);
    timers.close();
  });

  it('while draining, batching windows close at once (those open and those opening); other timers keep their delay', async () => {
    const clock = new MovableClock();
    const timers = new Timers(() => {}, clock);
    const fired: string[] = [];
    timers.schedule(60_000, 'window before', () => fired.push('window before'), { window: true });
    timers.schedule(60_000, 'visibility', () => fired.push('visibility'));
    let release = () => {};
    const drained = timers.draining(async () => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    timers.schedule(60_000, 'window during', () => fired.push('window during'), { window: true });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(fired).toEqual(['window before', 'window during']);
    release();
    await drained;
    timers.schedule(60_000, 'window after', () => fired.push('window after'), { window: true });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(fired).toEqual(['window before', 'window during']);
    clock.advance(60_000);
    timers.fireDue();
    expect(fired).toEqual(['window before', 'window during', 'visibility', 'window after']);
    timers.close();
  });
});
