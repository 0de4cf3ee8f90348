import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DurationParseError, parseIsoDuration, parseIsoTimestamp } from '../../../functions/core/iso8601.ts';

describe('parseIsoDuration', () => {
  it.each([
    ['P7D', 7 * 86_400_000],
    ['P2W', 14 * 86_400_000],
    ['PT12H', 12 * 3_600_000],
    ['PT90M', 90 * 60_000],
    ['PT30S', 30_000],
    ['PT0.5S', 500],
    ['P1DT6H30M', 86_400_000 + 6 * 3_600_000 + 30 * 60_000],
    ['PT0S', 0],
  ])('reads %s', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each(['', 'P', 'PT', '7D', 'P7', 'p7d', 'P1.5D', 'PT1H2', 'P-1D', ' P7D', 'P7D ', 'PT1.2345S'])(
    'refuses %j naming the value',
    (text) => {
      expect(() => parseIsoDuration(text)).toThrow(DurationParseError);
      expect(() => parseIsoDuration(text)).toThrow(JSON.stringify(text));
    },
  );

  it('refuses years and months, which have no fixed length', () => {
    expect(() => parseIsoDuration('P1M')).toThrow(/years or months/);
    expect(() => parseIsoDuration('P1Y2D')).toThrow(/years or months/);
    expect(() => parseIsoDuration('PT1M')).not.toThrow();
  });

  it('refuses durations too long to count in milliseconds', () => {
    expect(() => parseIsoDuration('P99999999999999999D')).toThrow(/too long/);
  });

  it('adds up its components (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(500),
        fc.nat(500),
        fc.nat(100),
        fc.nat(1000),
        fc.nat(1000),
        (weeks, days, hours, minutes, seconds) => {
          const text = `P${weeks}W${days}DT${hours}H${minutes}M${seconds}S`;
          expect(parseIsoDuration(text)).toBe(
            weeks * 604_800_000 + days * 86_400_000 + hours * 3_600_000 + minutes * 60_000 + seconds * 1000,
          );
        },
      ),
    );
  });

  it('throws nothing but DurationParseError, whatever the text (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^P[0-9YMWDTHS.,]{0,12}$/)), (text) => {
        try {
          const ms = parseIsoDuration(text);
          expect(Number.isSafeInteger(ms) && ms >= 0).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(DurationParseError);
        }
      }),
    );
  });
});

describe('parseIsoTimestamp', () => {
  it.each([
    ['2026-01-01T00:00:00Z', Date.UTC(2026, 0, 1)],
    ['2026-01-01T01:00:00+01:00', Date.UTC(2026, 0, 1)],
    ['2025-12-31T19:00:00-05:00', Date.UTC(2026, 0, 1)],
    ['2024-11-26T18:35:18.618000+00:00', Date.UTC(2024, 10, 26, 18, 35, 18, 618)],
    ['2024-02-29T00:00Z', Date.UTC(2024, 1, 29)],
    // Years below 100 stay what they say (Date.UTC would read 0050 as 1950).
    ['0050-06-01T00:00:00Z', -60_576_249_600_000],
  ])('reads %s', (text, ms) => {
    expect(parseIsoTimestamp(text)).toBe(ms);
  });

  it.each([
    '2026-01-01',
    '2026-01-01T00:00:00',
    '2026-02-30T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T00:60:00Z',
    '2026-01-01 00:00:00Z',
    'yesterday',
  ])('refuses %s', (text) => {
    expect(parseIsoTimestamp(text)).toBeUndefined();
  });

  it('agrees with Date for every instant written in UTC (property)', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1970-01-01T00:00:00Z'),
          max: new Date('2999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        (date) => {
          expect(parseIsoTimestamp(date.toISOString())).toBe(date.getTime());
        },
      ),
    );
  });
});
