/** How each outcome looks on a terminal: the CLI's tables and the local cloud's live decisions. */
import type { Outcome } from '../functions/gate/ports.ts';
import { colors } from './colors.ts';

export const OUTCOME_STYLE: Record<Outcome, (text: string) => string> = {
  accepted: (text) => colors().green(text),
  rejected: (text) => colors().red(text),
  held: (text) => colors().yellow(text),
  expired: (text) => colors().magenta(text),
  revoked: (text) => colors().red(text),
  drift: (text) => colors().yellow(text),
  failed: (text) => colors().red(text),
  deleted: (text) => colors().dim(text),
  registered: (text) => colors().cyan(text),
};

export function outcomeText(outcome: Outcome, dryRun = false): string {
  return OUTCOME_STYLE[outcome](dryRun ? `would be ${outcome}` : outcome);
}
