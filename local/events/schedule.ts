/**
 * EventBridge schedule expressions: `rate(N unit)` and AWS's six-field
 * `cron(minutes hours day-of-month month day-of-week year)`, always in UTC. The expression
 * is checked here field by field (aws-cron-parser, which computes the next time, assumes
 * AWS has checked it already).
 */
import awsCron from 'aws-cron-parser';

export class InvalidScheduleError extends Error {
  override name = 'InvalidScheduleError';
}

export type Schedule =
  | { kind: 'rate'; everyMs: number; expression: string }
  | { kind: 'cron'; expression: string; cron: ReturnType<typeof awsCron.parse> };

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

function invalid(expression: string, reason: string): never {
  throw new InvalidScheduleError(`Parameter ScheduleExpression is not valid: '${expression}': ${reason}`);
}

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Forms other than numbers, ranges, `*` and steps that the field allows. */
  special?: RegExp;
  /** Whether `?` may stand for the whole field. */
  question?: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly Field[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, special: /^(L|L-[0-9]{1,2}|[0-9]{1,2}W)$/, question: true },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, special: /^(L|[1-7]L|[1-7]#[1-5])$/, question: true },
  { name: 'year', min: 1970, max: 2199 },
];

function checkNumber(expression: string, field: Field, text: string): void {
  if (!/^[0-9]+$/.test(text)) invalid(expression, `${field.name}: '${text}' is not a number`);
  const value = Number(text);
  if (value < field.min || value > field.max)
    invalid(expression, `${field.name}: ${value} is not between ${field.min} and ${field.max}`);
}

function checkField(expression: string, field: Field, raw: string): void {
  if (raw === '?') {
    if (field.question !== true) invalid(expression, `${field.name}: '?' is allowed only in the day fields`);
    return;
  }
  let text = raw.toUpperCase();
  field.names?.forEach((name, index) => {
    text = text.replaceAll(name, String(index + 1));
  });
  for (const part of text.split(',')) {
    if (field.special?.test(part)) {
      const numbers = part.match(/[0-9]+/g) ?? [];
      if (/W$/.test(part) || /L$/.test(part)) for (const n of numbers) checkNumber(expression, field, n);
      continue;
    }
    const [range = '', step, ...rest] = part.split('/');
    if (rest.length > 0) invalid(expression, `${field.name}: '${part}' has more than one '/'`);
    if (step !== undefined) checkNumber(expression, { ...field, min: 1 }, step);
    if (range === '*') continue;
    const [from = '', to, ...more] = range.split('-');
    if (more.length > 0) invalid(expression, `${field.name}: '${part}' is not a range`);
    checkNumber(expression, field, from);
    if (to !== undefined) checkNumber(expression, field, to);
  }
}

/** Parses `rate(…)` or `cron(…)`, naming what is wrong. */
export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\(\s*([0-9]+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(expression);
  if (rate !== null) {
    const value = Number(rate[1]);
    const unit = rate[2] ?? '';
    const singular = unit.replace(/s$/, '');
    if (value < 1) invalid(expression, 'the value of a rate must be a positive whole number');
    if ((value === 1) !== (unit === singular))
      invalid(expression, `use the singular unit for 1 and the plural otherwise (${value} ${unit})`);
    return { kind: 'rate', everyMs: value * (UNIT_MS[singular] ?? 0), expression };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron === null) invalid(expression, 'a schedule is rate(value unit) or cron(fields)');
  const fields = (cron[1] ?? '').trim().split(/\s+/);
  if (fields.length !== 6)
    invalid(
      expression,
      `cron takes 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`,
    );
  FIELDS.forEach((field, index) => {
    checkField(expression, field, fields[index] ?? '');
  });
  if ((fields[2] === '?') === (fields[4] === '?'))
    invalid(expression, 'one of day-of-month and day-of-week must be ?, not both');
  return { kind: 'cron', expression, cron: awsCron.parse(fields.join(' ')) };
}

/**
 * When the schedule fires next, strictly after `afterMs`; undefined when a cron never
 * fires again (its years are past). A rate counts from `startMs`, when the rule was made.
 */
export function nextFireAt(schedule: Schedule, afterMs: number, startMs: number): number | undefined {
  if (schedule.kind === 'rate') {
    const periods = Math.floor((afterMs - startMs) / schedule.everyMs) + 1;
    return startMs + Math.max(1, periods) * schedule.everyMs;
  }
  return awsCron.next(schedule.cron, new Date(afterMs))?.getTime() ?? undefined;
}
