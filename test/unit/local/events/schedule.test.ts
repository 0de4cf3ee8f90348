import { describe, expect, it } from 'vitest';
import { InvalidScheduleError, nextFireAt, parseSchedule } from '../../../../local/events/schedule.ts';

const at = (iso: string) => Date.parse(iso);

describe('schedule expressions', () => {
  const next: Array<[string, string, string]> = [
    // AWS's documented examples (EventBridge "Schedule expressions for rules").
    ['cron(0 10 * * ? *)', '2026-03-01T09:00:00Z', '2026-03-01T10:00:00Z'],
    ['cron(0 10 * * ? *)', '2026-03-01T10:00:00Z', '2026-03-02T10:00:00Z'],
    ['cron(15 12 * * ? *)', '2026-03-01T12:20:00Z', '2026-03-02T12:15:00Z'],
    ['cron(0 18 ? * MON-FRI *)', '2026-03-06T19:00:00Z', '2026-03-09T18:00:00Z'],
    ['cron(0 8 1 * ? *)', '2026-03-02T00:00:00Z', '2026-04-01T08:00:00Z'],
    ['cron(0/15 * * * ? *)', '2026-03-01T10:07:00Z', '2026-03-01T10:15:00Z'],
    ['cron(0/10 * ? * MON-FRI *)', '2026-03-07T00:00:00Z', '2026-03-09T00:00:00Z'],
    ['cron(0/5 8-17 ? * MON-FRI *)', '2026-03-09T17:56:00Z', '2026-03-10T08:00:00Z'],
    ['cron(0 9 ? * 2#1 *)', '2026-03-01T00:00:00Z', '2026-03-02T09:00:00Z'],
    ['cron(0 0 L * ? *)', '2026-02-01T00:00:00Z', '2026-02-28T00:00:00Z'],
    ['cron(30 2 * JAN ? 2027)', '2026-03-01T00:00:00Z', '2027-01-01T02:30:00Z'],
    // A rate counts from when the rule was made (2026-03-01T00:00:00Z here).
    ['rate(5 minutes)', '2026-03-01T00:00:00Z', '2026-03-01T00:05:00Z'],
    ['rate(5 minutes)', '2026-03-01T00:07:00Z', '2026-03-01T00:10:00Z'],
    ['rate(1 hour)', '2026-03-01T00:00:00Z', '2026-03-01T01:00:00Z'],
    ['rate(2 days)', '2026-03-02T00:00:00Z', '2026-03-03T00:00:00Z'],
  ];

  it.each(next)('%s after %s fires at %s', (expression, after, expected) => {
    // Prepare
    const schedule = parseSchedule(expression);
    // Act
    const fire = nextFireAt(schedule, at(after), at('2026-03-01T00:00:00Z'));
    // Assess
    expect(fire === undefined ? undefined : new Date(fire).toISOString()).toBe(
      new Date(expected).toISOString(),
    );
  });

  it('a cron whose years are past never fires again', () => {
    expect(nextFireAt(parseSchedule('cron(0 0 1 1 ? 2020)'), at('2026-01-01T00:00:00Z'), 0)).toBeUndefined();
  });

  const invalid: Array<[string, string]> = [
    ['rate(1 minutes)', 'singular unit for 1'],
    ['rate(5 minute)', 'singular unit for 1'],
    ['rate(0 minutes)', 'positive whole number'],
    ['rate(5 seconds)', 'rate(value unit) or cron(fields)'],
    ['every 5 minutes', 'rate(value unit) or cron(fields)'],
    ['cron(0 10 * * ?)', 'cron takes 6 fields'],
    ['cron(0 10 * * * *)', 'one of day-of-month and day-of-week must be ?'],
    ['cron(0 10 ? * ? *)', 'one of day-of-month and day-of-week must be ?'],
    ['cron(60 10 * * ? *)', 'minutes: 60 is not between 0 and 59'],
    ['cron(0 24 * * ? *)', 'hours: 24 is not between 0 and 23'],
    ['cron(0 10 32 * ? *)', 'day-of-month: 32'],
    ['cron(0 10 * 13 ? *)', 'month: 13'],
    ['cron(0 10 ? * 8 *)', 'day-of-week: 8'],
    ['cron(0 10 * * ? 1969)', 'year: 1969'],
    ['cron(x 10 * * ? *)', "minutes: 'X' is not a number"],
    ['cron(? 10 * * ? *)', "'?' is allowed only in the day fields"],
  ];

  it.each(invalid)('refuses %s (%s)', (expression, reason) => {
    expect(() => parseSchedule(expression)).toThrow(InvalidScheduleError);
    expect(() => parseSchedule(expression)).toThrow(reason);
  });
});
