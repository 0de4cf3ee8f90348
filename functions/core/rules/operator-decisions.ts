/**
 * A person's decision about one endpoint (`plgate approve` / `deny`, the Slack buttons),
 * kept as a rules-table item of kind `approval` or `denial` whose id is the endpoint id
 * (DESIGN §3, "Operator decisions"). It is not a rule: it names one endpoint of one
 * service, records who decided and why, and lives only as long as the endpoint does.
 *
 * Precedence in evaluation: a matching reject rule > a denial > an approval > review
 * (rule, default, undetermined condition) > accept > defaults.
 */
import * as z from '../../shared/zod.ts';
import { AccountIdSchema, EndpointIdSchema, ServiceIdSchema, TimestampSchema } from './schema.ts';

export const OPERATOR_KINDS = { approve: 'approval', deny: 'denial' } as const;
export type OperatorVerdict = keyof typeof OPERATOR_KINDS;
export type OperatorKind = (typeof OPERATOR_KINDS)[OperatorVerdict];

export const isOperatorKind = (kind: unknown): kind is OperatorKind =>
  kind === OPERATOR_KINDS.approve || kind === OPERATOR_KINDS.deny;

export const OperatorDecisionItemSchema = z.strictObject({
  kind: z.enum([OPERATOR_KINDS.approve, OPERATOR_KINDS.deny]),
  id: EndpointIdSchema,
  serviceId: ServiceIdSchema,
  /** The consumer account that owns the endpoint, for the ledger once the endpoint is gone. */
  account: AccountIdSchema,
  /** Who decided: the caller's ARN, or the Slack channel's role and user. */
  actor: z.string().check(z.minLength(1), z.maxLength(2048)),
  reason: z.optional(z.string().check(z.maxLength(1024))),
  at: TimestampSchema,
});
export type OperatorDecisionItem = z.infer<typeof OperatorDecisionItemSchema>;

export interface OperatorDecision {
  verdict: OperatorVerdict;
  endpointId: string;
  serviceId: string;
  account: string;
  actor: string;
  reason?: string;
  at: string;
}

export function operatorDecisionOf(item: OperatorDecisionItem): OperatorDecision {
  return {
    verdict: item.kind === OPERATOR_KINDS.approve ? 'approve' : 'deny',
    endpointId: item.id,
    serviceId: item.serviceId,
    account: item.account,
    actor: item.actor,
    ...(item.reason !== undefined ? { reason: item.reason } : {}),
    at: item.at,
  };
}

export function operatorDecisionItem(decision: OperatorDecision): OperatorDecisionItem {
  return {
    kind: OPERATOR_KINDS[decision.verdict],
    id: decision.endpointId,
    serviceId: decision.serviceId,
    account: decision.account,
    actor: decision.actor,
    ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
    at: decision.at,
  };
}

/** The reason a decision record gives for an operator's decision. */
export function operatorDecisionText(decision: OperatorDecision): string {
  const verb = decision.verdict === 'approve' ? 'approved' : 'denied';
  const why = decision.reason ? `: ${decision.reason}` : '';
  return `${verb} by ${decision.actor} at ${decision.at}${why}`;
}

/**
 * Both kinds may exist for one endpoint for a moment (a denial written while an approval
 * is being removed): the denial wins, as a reject does over an accept.
 */
export function strongerDecision(
  current: OperatorDecision | undefined,
  next: OperatorDecision,
): OperatorDecision {
  if (current === undefined) return next;
  if (current.verdict === 'deny') return current;
  return next;
}
