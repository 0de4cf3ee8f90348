/** The console's API input: every problem names the field and the value. */
import { describe, expect, it } from 'vitest';
import {
  ConsoleInputError,
  decideInput,
  ledgerFilter,
  wholeNumber,
} from '../../../console/server/api-input.ts';

describe('decideInput', () => {
  const good = { action: 'approve', endpointId: 'vpce-0123456789abcdef0', reason: ' signed ' };

  it('takes an action, an endpoint, an optional service and a reason (trimmed)', () => {
    expect(decideInput({ ...good, serviceId: 'vpce-svc-0123456789abcdef0' })).toEqual({
      action: 'approve',
      endpointId: 'vpce-0123456789abcdef0',
      serviceId: 'vpce-svc-0123456789abcdef0',
      reason: 'signed',
    });
  });

  it.each([
    [{ ...good, action: 'delete' }, 'action: must be approve or deny, got "delete"'],
    [{ ...good, endpointId: 'vpce-<b>' }, 'endpointId: must be an endpoint id (vpce-…), got "vpce-<b>"'],
    [{ ...good, serviceId: 7 }, 'serviceId: must be an endpoint service id (vpce-svc-…), got 7'],
    [{ ...good, reason: '  ' }, 'reason: must be the reason, 1 to 500 characters, got "  "'],
    [{ ...good, reason: 'x'.repeat(501) }, 'reason: must be the reason, 1 to 500 characters'],
    [null, 'body: must be a JSON object, got null'],
  ])('refuses %j', (body, message) => {
    expect(() => decideInput(body)).toThrow(ConsoleInputError);
    expect(() => decideInput(body)).toThrow(message);
  });
});

describe('ledger filters', () => {
  it('reads the filters given, and leaves out the empty ones', () => {
    const params = new URLSearchParams('endpoint=&account=111111111111&outcome=held&trigger=manual');
    expect(ledgerFilter(params)).toEqual({ account: '111111111111', outcome: 'held', trigger: 'manual' });
  });

  it.each([
    ['account=1111', 'account: must be a 12-digit account id, got "1111"'],
    ['outcome=won', 'outcome: must be one of accepted'],
    ['trigger=cron', 'trigger: must be one of notification'],
    ['service=svc-1', 'service: must be an endpoint service id (vpce-svc-…), got "svc-1"'],
  ])('refuses %s', (query, message) => {
    expect(() => ledgerFilter(new URLSearchParams(query))).toThrow(message);
  });

  it('a page size is a whole number within its bounds', () => {
    expect(wholeNumber(new URLSearchParams(''), 'limit', 50, 500)).toBe(50);
    expect(wholeNumber(new URLSearchParams('limit=500'), 'limit', 50, 500)).toBe(500);
    for (const bad of ['0', '501', '1.5', '-1', 'ten']) {
      expect(() => wholeNumber(new URLSearchParams(`limit=${bad}`), 'limit', 50, 500)).toThrow(
        `limit: must be a whole number from 1 to 500, got "${bad}"`,
      );
    }
  });
});
