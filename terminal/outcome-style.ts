/** How each outcome looks on a terminal: the CLI's tables and the local cloud's live decisions. */
import pc from 'picocolors';
import type { Outcome } from '../functions/gate/ports.ts';

export const OUTCOME_STYLE: Record<Outcome, (text: string) => string> = {
  accepted: pc.green,
  rejected: pc.red,
  held: pc.yellow,
  expired: pc.magenta,
  revoked: pc.red,
  drift: pc.yellow,
  failed: pc.red,
  deleted: pc.dim,
  registered: pc.cyan,
};

export function outcomeText(outcome: Outcome, dryRun = false): string {
  return OUTCOME_STYLE[outcome](dryRun ? `would be ${outcome}` : outcome);
}
