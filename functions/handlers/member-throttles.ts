/**
 * The middleware that ends every invocation of a hub's function that acts in members: the
 * EC2 attempts its members throttled during the invocation are added to their records
 * (`plgate fleet`'s "throttled" column). Nothing is written when nothing was throttled; a
 * failed write keeps its count for the next invocation and never fails this one.
 */
import type middy from '@middy/core';
import { gateNow } from '../shared/clock.ts';
import { logger } from './observability.ts';
import type { Runtime } from './runtime.ts';

export function flushMemberThrottles(runtime: () => Pick<Runtime, 'fleet'>): middy.MiddlewareObj {
  const flush = async (): Promise<void> => {
    let fleet: Runtime['fleet'];
    try {
      fleet = runtime().fleet;
    } catch {
      // No runtime (the configuration is broken): the invocation fails for that, not for this.
      return;
    }
    if (fleet === undefined) return;
    const { memberStates, throttles } = fleet;
    const failures = await throttles.flush((place, count) =>
      memberStates.addThrottled(place, count, gateNow()),
    );
    for (const error of failures)
      logger.warn("members' throttled calls not recorded; kept for the next invocation", {
        error: error instanceof Error ? error.message : String(error),
      });
  };
  return { after: flush, onError: flush };
}
