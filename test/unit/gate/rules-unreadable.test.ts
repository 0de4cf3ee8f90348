/**
 * Rules that cannot be read hold everything: no decision, no EC2 action, the event is
 * retried, and the handler counts it for the RulesUnreadable alarm.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decideConnectionEvent } from '../../../functions/gate/decide-event.ts';
import { RuleSetCache, RulesUnreadableError } from '../../../functions/gate/rules-cache.ts';
import { countRulesUnreadable, metrics } from '../../../functions/handlers/observability.ts';
import { METRIC } from '../../../functions/shared/metrics.ts';
import {
  connection,
  FakeEndpointServices,
  MemoryLedgerTable,
  MemoryRulesStore,
  RecordingEvents,
  RecordingNotifier,
} from '../../support/gate-fakes.ts';

class UnreadableRulesStore extends MemoryRulesStore {
  constructor(private readonly failing: 'version' | 'items') {
    super([{ kind: 'rule', id: 'everyone', effect: 'accept', match: {} }]);
  }
  override async version(): Promise<number> {
    if (this.failing === 'version') throw new Error('AccessDeniedException: not authorized');
    return super.version();
  }
  override async items(): Promise<Record<string, unknown>[]> {
    throw new Error('ProvisionedThroughputExceededException');
  }
}

afterEach(() => vi.restoreAllMocks());

describe('rules unreadable', () => {
  it.each(['version', 'items'] as const)(
    'reading the %s fails: a RulesUnreadableError with the cause',
    async (failing) => {
      const error = await new RuleSetCache(new UnreadableRulesStore(failing))
        .current()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RulesUnreadableError);
      expect((error as Error).cause).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/rules table cannot be read/);
    },
  );

  it('holds every request: no EC2 action, no ledger entry, and the event fails so it is retried', async () => {
    const endpointServices = new FakeEndpointServices().add(connection({ state: 'pendingAcceptance' }));
    const ledger = new MemoryLedgerTable();
    const [only] = endpointServices.connections.values();
    await expect(
      decideConnectionEvent(
        { serviceId: only?.serviceId ?? '', endpointId: only?.endpointId ?? '', trigger: 'notification' },
        {
          endpointServices,
          ledger,
          notifier: new RecordingNotifier(),
          events: new RecordingEvents(),
          rules: new RuleSetCache(new UnreadableRulesStore('items')),
          holder: 'test',
          now: () => new Date(),
        },
      ),
    ).rejects.toThrow(RulesUnreadableError);
    expect(endpointServices.calls).toEqual([]);
    expect(ledger.entries).toEqual([]);
    expect(only?.state).toBe('pendingAcceptance');
  });

  it('the handlers count it, and only it, for the alarm', () => {
    const addMetric = vi.spyOn(metrics, 'addMetric').mockImplementation(() => metrics);
    countRulesUnreadable(new Error('something else'));
    expect(addMetric).not.toHaveBeenCalled();
    countRulesUnreadable(new RulesUnreadableError('x'));
    expect(addMetric).toHaveBeenCalledWith(METRIC.rulesUnreadable, 'Count', 1);
  });
});
