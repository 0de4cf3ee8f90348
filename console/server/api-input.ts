/** The console's API input, checked: each problem names the field and the value it got. */
import { ENDPOINT_ID, SERVICE_ID } from '../../functions/aws/ledger-item-codec.ts';
import { OUTCOMES, type Outcome } from '../../functions/gate/ports.ts';
import { TRIGGERS, type Trigger } from '../../functions/shared/events.ts';
import type { LedgerFilter } from './ledger-pages.ts';

export class ConsoleInputError extends Error {
  override name = 'ConsoleInputError';
  constructor(field: string, expected: string, value: unknown) {
    super(`${field}: must be ${expected}, got ${JSON.stringify(value)?.slice(0, 120) ?? String(value)}`);
  }
}

const ACCOUNT = /^\d{12}$/;
const ENDPOINT = /^vpce-[0-9a-f]{8,17}$/;
const SERVICE = /^vpce-svc-[0-9a-f]{8,17}$/;
/** The longest reason kept; a ledger line, not an essay. */
export const MAX_REASON = 500;
export const MAX_PAGE = 500;

function optional<T extends string>(
  params: URLSearchParams,
  field: string,
  ok: (value: string) => value is T,
  expected: string,
): T | undefined {
  const value = params.get(field);
  if (value === null || value === '') return undefined;
  if (!ok(value)) throw new ConsoleInputError(field, expected, value);
  return value;
}

const matching =
  (pattern: RegExp) =>
  (value: string): value is string =>
    pattern.test(value);
const oneOf =
  <T extends string>(values: readonly T[]) =>
  (value: string): value is T =>
    (values as readonly string[]).includes(value);

export function endpointParam(params: URLSearchParams, field = 'endpoint'): string | undefined {
  return optional(params, field, matching(ENDPOINT), 'an endpoint id (vpce-…)');
}

export function serviceParam(params: URLSearchParams, field = 'service'): string | undefined {
  return optional(params, field, matching(SERVICE), 'an endpoint service id (vpce-svc-…)');
}

export function ledgerFilter(params: URLSearchParams): LedgerFilter {
  const endpointId = endpointParam(params);
  const serviceId = serviceParam(params);
  const account = optional(params, 'account', matching(ACCOUNT), 'a 12-digit account id');
  const outcome = optional<Outcome>(params, 'outcome', oneOf(OUTCOMES), `one of ${OUTCOMES.join(', ')}`);
  const trigger = optional<Trigger>(params, 'trigger', oneOf(TRIGGERS), `one of ${TRIGGERS.join(', ')}`);
  return {
    ...(endpointId ? { endpointId } : {}),
    ...(serviceId ? { serviceId } : {}),
    ...(account ? { account } : {}),
    ...(outcome ? { outcome } : {}),
    ...(trigger ? { trigger } : {}),
  };
}

export function wholeNumber(params: URLSearchParams, field: string, fallback: number, max: number): number {
  const value = params.get(field);
  if (value === null || value === '') return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) {
    throw new ConsoleInputError(field, `a whole number from 1 to ${max}`, value);
  }
  return n;
}

export interface DecideInput {
  action: 'approve' | 'deny';
  endpointId: string;
  serviceId?: string;
  reason: string;
}

export function decideInput(body: unknown): DecideInput {
  if (typeof body !== 'object' || body === null) throw new ConsoleInputError('body', 'a JSON object', body);
  const action = Reflect.get(body, 'action');
  const endpointId = Reflect.get(body, 'endpointId');
  const serviceId = Reflect.get(body, 'serviceId');
  const reason = Reflect.get(body, 'reason');
  if (action !== 'approve' && action !== 'deny')
    throw new ConsoleInputError('action', 'approve or deny', action);
  if (typeof endpointId !== 'string' || !ENDPOINT_ID.test(endpointId) || !ENDPOINT.test(endpointId)) {
    throw new ConsoleInputError('endpointId', 'an endpoint id (vpce-…)', endpointId);
  }
  if (serviceId !== undefined && (typeof serviceId !== 'string' || !SERVICE_ID.test(serviceId))) {
    throw new ConsoleInputError('serviceId', 'an endpoint service id (vpce-svc-…)', serviceId);
  }
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON) {
    throw new ConsoleInputError('reason', `the reason, 1 to ${MAX_REASON} characters`, reason);
  }
  return { action, endpointId, reason: reason.trim(), ...(serviceId ? { serviceId } : {}) };
}

export function whatIfInput(body: unknown): {
  endpointId?: string;
  serviceId?: string;
  connection?: unknown;
} {
  if (typeof body !== 'object' || body === null) throw new ConsoleInputError('body', 'a JSON object', body);
  const endpointId = Reflect.get(body, 'endpointId');
  if (endpointId !== undefined) {
    if (typeof endpointId !== 'string' || !ENDPOINT.test(endpointId)) {
      throw new ConsoleInputError('endpointId', 'an endpoint id (vpce-…)', endpointId);
    }
    return { endpointId };
  }
  if (!('connection' in body)) {
    throw new ConsoleInputError('body', 'an endpointId or a connection', body);
  }
  return { connection: Reflect.get(body, 'connection') };
}
