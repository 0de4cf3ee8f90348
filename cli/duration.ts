/**
 * Every duration flag reads the same two forms: short (`500ms`, `30s`, `5m`, `2h`, `7d`) and
 * ISO 8601 (`PT30M`, `P7D`, `P1DT6H`), the form rule files use. A bad one is a usage error
 * naming the flag and the value.
 */
import { DurationParseError, parseIsoDuration } from '../functions/core/iso8601.ts';
import { UsageError } from './exit.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MS: Readonly<Record<string, number>> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: DAY };
const SHORT = /^(\d{1,15}(?:\.\d{1,3})?)(ms|s|m|h|d)$/;
const EXAMPLES = '500ms, 30s, 5m, 2h, 7d or ISO 8601 (PT30M, P7D)';

/** Milliseconds of `text`, in either form. */
export function parseDuration(flag: string, text: string): number {
  const short = SHORT.exec(text);
  if (short !== null) {
    const ms = Math.round(Number(short[1]) * (MS[short[2] ?? ''] ?? Number.NaN));
    if (Number.isSafeInteger(ms)) return ms;
    throw new UsageError(`${flag} is too long to be a duration, got '${text}'`);
  }
  try {
    return parseIsoDuration(text);
  } catch (error) {
    if (!(error instanceof DurationParseError)) throw error;
    const calendar = error.reason.startsWith('must not use years or months');
    throw new UsageError(
      `${flag} must be a duration like ${EXAMPLES}${calendar ? ', not years or months' : ''}, got '${text}'`,
      { cause: error },
    );
  }
}

/** A duration that must be longer than zero. */
export function positiveDuration(flag: string, text: string): number {
  const ms = parseDuration(flag, text);
  if (ms <= 0) throw new UsageError(`${flag} must be longer than zero, got '${text}'`);
  return ms;
}

/** The ISO-8601 form of a duration in milliseconds (`P7D`, `PT24H`, `PT1.5S`): what the tables keep. */
export function isoDuration(ms: number): string {
  const days = Math.floor(ms / DAY);
  const hours = Math.floor((ms % DAY) / HOUR);
  const minutes = Math.floor((ms % HOUR) / MINUTE);
  const seconds = (ms % MINUTE) / SECOND;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  if (days === 0 && time === '') return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}
