/**
 * A person's approve or deny that another decider carries out first (the sweep that writing
 * the person's decision starts): the person is told the outcome all the same, not only the
 * state the endpoint reached.
 */
import { describe, expect, it } from 'vitest';
import { decideByOperator, type OperatorDeps } from '../../../functions/gate/operator.ts';
import { RuleSetCache } from '../../../functions/gate/rules-cache.ts';
import {
  connection,
  FakeEndpointServices,
  MemoryLedgerTable,
  MemoryRulesStore,
  RecordingEvents,
  RecordingNotifier,
} from '../../support/gate-fakes.ts';

const ACTOR = 'arn:aws:iam::999999999999:user/operator';

/** A world where writing the person's decision has it carried out at once, as a racing sweep would. */
function racedBy(state: string, carriedTo: string) {
  const request = connection({ state: state as never });
  const ec2 = new FakeEndpointServices().add(request);
  const store = new MemoryRulesStore([
    { kind: 'defaults', id: 'defaults', defaultEffect: 'review', pendingTtl: 'P7D', onRevoke: 'notify' },
  ]);
  const put = store.putItems.bind(store);
  store.putItems = async (items) => {
    await put(items);
    const carried = ec2.connections.get(request.endpointId);
    if (carried) carried.state = carriedTo as never;
  };
  const deps: OperatorDeps = {
    endpointServices: ec2,
    ledger: new MemoryLedgerTable(),
    notifier: new RecordingNotifier(),
    events: new RecordingEvents(),
    now: () => new Date('2026-12-07T10:00:00Z'),
    holder: 'plgate-cli-test',
    rules: new RuleSetCache(store),
    rulesWriter: store,
    sleep: async () => {},
  };
  return { endpointId: request.endpointId, deps };
}

describe('a decision another decider carried out first', () => {
  it.each([
    { action: 'approve', from: 'pendingAcceptance', to: 'available', said: 'accepted (approved by' },
    { action: 'deny', from: 'pendingAcceptance', to: 'rejected', said: 'rejected (denied by' },
    { action: 'deny', from: 'available', to: 'rejected', said: 'revoked (denied by' },
  ] as const)(
    '$action of a $from endpoint, carried to $to: done, "$said …"',
    async ({ action, from, to, said }) => {
      const { endpointId, deps } = racedBy(from, to);
      const result = await decideByOperator({ action, endpointId, actor: ACTOR }, deps);
      expect(result.status).toBe('done');
      expect(result.entries).toEqual([]);
      expect(result.message).toBe(`${endpointId}: ${said} ${ACTOR})`);
    },
  );
});
