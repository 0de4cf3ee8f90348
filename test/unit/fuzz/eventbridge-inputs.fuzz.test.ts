/**
 * What templates and events bring into the local EventBridge and HTTP APIs, fuzzed: a
 * pattern, a schedule, a target input or a route key is either taken or refused with the
 * module's own error, and matching, transforming and routing never throw on any event.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRouteKeyError, parseRouteKey, selectRoute } from '../../../local/apigateway/route-keys.ts';
import {
  InvalidEventPatternError,
  matchesPattern,
  parseEventPattern,
} from '../../../local/events/pattern.ts';
import { InvalidScheduleError, parseSchedule } from '../../../local/events/schedule.ts';
import {
  checkTargetInput,
  InvalidTargetInputError,
  targetPayload,
} from '../../../local/events/target-input.ts';

const refusedOnlyWith =
  (errorClass: new (...args: never[]) => Error, parse: (input: never) => unknown) =>
  (input: unknown): void => {
    try {
      parse(input as never);
    } catch (error) {
      expect(error).toBeInstanceOf(errorClass);
    }
  };

const context = {
  ruleArn: 'arn:aws:events:us-east-1:000000000000:rule/r',
  ruleName: 'r',
  ingestionTime: '2026-01-01T00:00:00Z',
};

describe('fuzzed EventBridge and HTTP API inputs', () => {
  it('a pattern is taken or refused as invalid, and a taken one matches any event without throwing', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (pattern, event) => {
        refusedOnlyWith(InvalidEventPatternError, parseEventPattern)(pattern);
        refusedOnlyWith(InvalidEventPatternError, parseEventPattern)(JSON.stringify(pattern));
        let parsed: ReturnType<typeof parseEventPattern> | undefined;
        try {
          parsed = parseEventPattern(pattern);
        } catch {
          parsed = undefined;
        }
        if (parsed !== undefined) expect(typeof matchesPattern(parsed, event)).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('a schedule expression is taken or refused as invalid', () => {
    const field = fc.oneof(
      fc.constantFrom('*', '?', 'L', 'W', '#', '-', '/', ',', 'MON', 'JAN', '0', '59', '60', '1970', '2199'),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(field, { maxLength: 7 }), fc.string(), (fields, other) => {
        refusedOnlyWith(InvalidScheduleError, parseSchedule)(`cron(${fields.join(' ')})`);
        refusedOnlyWith(InvalidScheduleError, parseSchedule)(`rate(${other})`);
        refusedOnlyWith(InvalidScheduleError, parseSchedule)(other);
      }),
      { numRuns: 500 },
    );
  });

  it('a target input is taken or refused as invalid, and a taken one transforms any event', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            Input: fc.oneof(
              fc.string(),
              fc.jsonValue().map((v) => JSON.stringify(v)),
            ),
            InputPath: fc.oneof(
              fc.string(),
              fc.constantFrom('$', '$.detail', '$.detail.*', '$.resources[0]'),
            ),
            InputTransformer: fc.record({
              InputPathsMap: fc.dictionary(
                fc.string({ maxLength: 8 }),
                fc.constantFrom('$.detail.a', '$.x', 'bad'),
              ),
              InputTemplate: fc.oneof(fc.string(), fc.constantFrom('{"a": <a>, "b": "<b>"}', '<a> and <b>')),
            }),
          },
          { requiredKeys: [] },
        ),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue()),
        (spec, event) => {
          let taken = true;
          try {
            checkTargetInput(spec, 'Targets[0]');
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidTargetInputError);
            taken = false;
          }
          if (taken) expect(['json', 'text']).toContain(targetPayload(spec, event, context).kind);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a route key is taken or refused as invalid, and routing any path never throws', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.constantFrom('GET', 'POST', 'ANY'), (key, path, method) => {
        refusedOnlyWith(InvalidRouteKeyError, parseRouteKey)(key);
        refusedOnlyWith(InvalidRouteKeyError, parseRouteKey)(`${method} /${key}`);
        const routes = ['GET /a/{b}', 'ANY /{proxy+}', '$default'].map((k) => ({ key: parseRouteKey(k) }));
        expect(selectRoute(routes, method, `/${path}`)).toBeDefined();
      }),
      { numRuns: 500 },
    );
  });
});
