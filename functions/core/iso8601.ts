/**
 * ISO-8601 timestamps and durations, strictly: rule windows and review TTLs must mean
 * exactly one thing, so a timestamp needs a zone and a duration a fixed length.
 */

/** A duration the gate cannot use, with the reason and the text it was given. */
export class DurationParseError extends Error {
  override name = 'DurationParseError';
  constructor(
    readonly reason: string,
    readonly value: string,
    options?: ErrorOptions,
  ) {
    super(`${reason}, got ${JSON.stringify(value)}`, options);
  }
}

const MS = { week: 604_800_000, day: 86_400_000, hour: 3_600_000, minute: 60_000, second: 1000 } as const;

/** Shape of the durations the gate accepts; also the JSON-schema pattern editors check. */
export const DURATION_PATTERN = '^P(?!$)(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+([.,]\\d{1,3})?S)?)?$';
const DURATION =
  /^P(?!$)(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:[.,](\d{1,3}))?S)?)?$/;
const CALENDAR_UNITS = /^P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T.*)?$/;

/**
 * Milliseconds of an ISO-8601 duration of weeks, days, hours, minutes and seconds
 * (`P7D`, `PT12H`, `P1DT6H`, `PT0.5S`). Years and months are refused: they have no fixed
 * length. Throws DurationParseError naming the value.
 */
export function parseIsoDuration(text: string): number {
  if (typeof text !== 'string') throw new DurationParseError('must be an ISO-8601 duration', String(text));
  const match = DURATION.exec(text);
  if (!match) {
    if (/[YM]/.test(text.split('T')[0] ?? '') && CALENDAR_UNITS.test(text) && text !== 'P') {
      throw new DurationParseError(
        'must not use years or months, which have no fixed length: use days or weeks, such as P30D',
        text,
      );
    }
    throw new DurationParseError('must be an ISO-8601 duration such as P7D, PT12H or P1DT6H', text);
  }
  const [, weeks, days, hours, minutes, seconds, fraction] = match;
  const ms =
    Number(weeks ?? 0) * MS.week +
    Number(days ?? 0) * MS.day +
    Number(hours ?? 0) * MS.hour +
    Number(minutes ?? 0) * MS.minute +
    Number(seconds ?? 0) * MS.second +
    (fraction === undefined ? 0 : Number(fraction.padEnd(3, '0')));
  if (!Number.isSafeInteger(ms)) throw new DurationParseError('is too long to be a duration', text);
  return ms;
}

/** Shape of the timestamps the gate accepts; also the JSON-schema pattern editors check. */
export const TIMESTAMP_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}([.,]\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})$';
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/;

/**
 * Epoch milliseconds of an ISO-8601 timestamp that names its zone (`Z` or an offset),
 * such as `2026-01-01T00:00:00Z` or the AWS CLI's `2024-11-26T18:35:18.618000+00:00`.
 * Undefined for anything else, including impossible dates like February 30.
 */
export function parseIsoTimestamp(text: string): number | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, offsetH, offsetM] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (zulu === undefined) {
    const oh = Number(offsetH);
    const om = Number(offsetM);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  // Date.UTC reads years 0-99 as 1900-1999; setUTCFullYear does not.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  const utc = date.getTime() - offsetMinutes * 60_000;
  return Number.isFinite(utc) ? utc : undefined;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
