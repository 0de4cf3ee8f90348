/**
 * Register: a consumer redeems an invitation with proof of its account. The proof is a
 * signed sts:GetCallerIdentity request, checked (core/registration/sts-request.ts) and
 * sent on to STS, whose answer alone says which account signed it. Then the code is
 * redeemed with one conditional write (so of two redemptions only one can win), the
 * account joins the service's allowed principals, a time-boxed accept rule admits it,
 * and the ledger and the decisions topic hear of it.
 */

import { parseIsoDuration } from '../core/iso8601.ts';
import {
  codeHash,
  codeMatches,
  type Invitation,
  InvitationCodeError,
  invitationIdOf,
} from '../core/registration/invitation.ts';
import type { CallerIdentity, StsAnswer } from '../core/registration/sts-answer.ts';
import type { StsEndpoint } from '../core/registration/sts-endpoints.ts';
import {
  type CheckedStsRequest,
  checkStsProof,
  type ProofProblem,
  ProofRejectedError,
} from '../core/registration/sts-request.ts';
import { ledgerEntry } from './ledger-entry.ts';
import type { Ledger, Notifier } from './ports.ts';

export interface InvitationStore {
  get(id: string): Promise<Invitation | undefined>;
  /**
   * Marks the invitation redeemed by this account, if it still has this code hash, is
   * open, has not expired at `at`, and is pinned to no other account: one conditional
   * write. False when any of that no longer holds.
   */
  redeem(
    id: string,
    codeHash: string,
    redemption: { account: string; arn: string; at: string },
  ): Promise<boolean>;
}

export interface CallerIdentityVerifier {
  /** Sends the checked proof to STS and returns its answer. */
  callerIdentity(request: CheckedStsRequest): Promise<StsAnswer>;
}

export interface ServiceAccess {
  /** The service's name (com.amazonaws.vpce.REGION.vpce-svc-…) when it exists and is managed; undefined otherwise. */
  managedServiceName(serviceId: string): Promise<string | undefined>;
  /** Adds arn:aws:iam::ACCOUNT:root to the service's allowed principals (safe to repeat). */
  allowAccount(serviceId: string, account: string): Promise<void>;
}

export interface RegistrationRules {
  putItems(items: readonly Record<string, unknown>[]): Promise<void>;
  bumpVersion(): Promise<number>;
}

export interface RegisterDeps {
  invitations: InvitationStore;
  sts: CallerIdentityVerifier;
  services: ServiceAccess;
  rules: RegistrationRules;
  ledger: Pick<Ledger, 'append'>;
  notifier: Notifier;
  /** Where proofs may be sent (stsEndpoints()). */
  stsEndpoints: ReadonlyMap<string, StsEndpoint>;
  now: () => Date;
}

export interface Registration {
  serviceId: string;
  serviceName: string;
  account: string;
  /** ISO time until which the accept rule admits the account. */
  acceptedUntil: string;
  ruleId: string;
  arn: string;
}

export type RefusalReason =
  | 'bare-claim'
  | 'malformed'
  | 'unknown-code'
  | 'used-code'
  | 'revoked-code'
  | 'expired-code'
  | ProofProblem
  | 'sts-refused'
  | 'wrong-account'
  | 'service-not-managed';

const STATUS: Record<RefusalReason, number> = {
  'bare-claim': 400,
  malformed: 400,
  'not-sts': 400,
  'not-get-caller-identity': 400,
  unsigned: 400,
  stale: 400,
  'unknown-code': 404,
  'used-code': 409,
  'revoked-code': 410,
  'expired-code': 410,
  'sts-refused': 403,
  'wrong-account': 403,
  'service-not-managed': 409,
};

/** A registration the gate refuses: a 4xx with a message that says what to do. Nothing was written. */
export class RegistrationRefusedError extends Error {
  override name = 'RegistrationRefusedError';
  readonly status: number;
  constructor(
    readonly reason: RefusalReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.status = STATUS[reason];
  }
}

const refuse = (reason: RefusalReason, message: string, cause?: unknown): never => {
  throw new RegistrationRefusedError(reason, message, cause === undefined ? undefined : { cause });
};

/** Redeems an invitation for the account a signed proof names; throws RegistrationRefusedError for every refusal. */
export async function registerConsumer(body: unknown, deps: RegisterDeps): Promise<Registration> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return refuse('malformed', 'the body must be a JSON object {code, request}');
  }
  const { code, request } = body as Record<string, unknown>;
  if (typeof code !== 'string' || code === '') return refuse('malformed', 'code: missing');
  if (request === undefined || request === null) {
    return refuse(
      'bare-claim',
      'request: missing. An account is proven with a signed sts:GetCallerIdentity request, never by naming it: run plgate register with the consumer account’s own credentials',
    );
  }

  let id: string;
  try {
    id = invitationIdOf(code);
  } catch (error) {
    if (!(error instanceof InvitationCodeError)) throw error;
    return refuse('unknown-code', 'code: no such invitation', error);
  }
  const now = deps.now();
  const invitation = await deps.invitations.get(id);
  // A wrong secret for a real id says no more than an id that does not exist.
  if (invitation === undefined || !codeMatches(invitation, code))
    return refuse('unknown-code', 'code: no such invitation');
  refuseUnusable(invitation, now);

  let proof: CheckedStsRequest;
  try {
    proof = checkStsProof(request, { endpoints: deps.stsEndpoints, now, invitationId: id });
  } catch (error) {
    if (!(error instanceof ProofRejectedError)) throw error;
    return refuse(error.problem, error.message, error);
  }
  const answer = await deps.sts.callerIdentity(proof);
  if (!answer.ok) {
    return refuse('sts-refused', `STS refused the signed request: ${answer.code}: ${answer.message}`);
  }
  const { identity } = answer;
  if (invitation.account !== undefined && invitation.account !== identity.account) {
    return refuse(
      'wrong-account',
      `this invitation is for account ${invitation.account}; the signed request proves account ${identity.account}`,
    );
  }
  const serviceName = await deps.services.managedServiceName(invitation.serviceId);
  if (serviceName === undefined) {
    return refuse(
      'service-not-managed',
      `service ${invitation.serviceId} is no longer managed by the gate (or no longer exists); ask the provider`,
    );
  }

  const at = deps.now().toISOString();
  const redeemed = await deps.invitations.redeem(id, codeHash(code), {
    account: identity.account,
    arn: identity.arn,
    at,
  });
  if (!redeemed) {
    // Someone else redeemed, revoked or outlived it between the read and the write.
    const current = await deps.invitations.get(id);
    if (current !== undefined) refuseUnusable(current, deps.now());
    return refuse('used-code', `code: invitation ${id} has already been used`);
  }
  return admit(invitation, identity, serviceName, at, deps);
}

function refuseUnusable(invitation: Invitation, now: Date): void {
  if (invitation.status === 'redeemed')
    refuse('used-code', `code: invitation ${invitation.id} has already been used`);
  if (invitation.status === 'revoked') {
    refuse(
      'revoked-code',
      `code: invitation ${invitation.id} was revoked at ${invitation.revokedAt ?? 'some time'}`,
    );
  }
  if (Date.parse(invitation.expiresAt) <= now.getTime()) {
    refuse('expired-code', `code: invitation ${invitation.id} expired at ${invitation.expiresAt}`);
  }
}

async function admit(
  invitation: Invitation,
  identity: CallerIdentity,
  serviceName: string,
  at: string,
  deps: RegisterDeps,
): Promise<Registration> {
  const { serviceId } = invitation;
  const { account } = identity;
  await deps.services.allowAccount(serviceId, account);
  const acceptedUntil = new Date(Date.parse(at) + parseIsoDuration(invitation.acceptFor)).toISOString();
  const ruleId = registeredRuleId(account, serviceId);
  await deps.rules.putItems([
    {
      kind: 'rule',
      id: ruleId,
      effect: 'accept',
      description: `registered with invitation ${invitation.id}`,
      services: [serviceId],
      match: { accounts: [account] },
      validUntil: acceptedUntil,
      meta: { by: identity.arn, invitation: invitation.id, at },
    },
  ]);
  const rulesVersion = await deps.rules.bumpVersion();
  const entry = ledgerEntry({
    at,
    // No endpoint exists yet: a registration is recorded on the service.
    connection: { endpointId: serviceId, serviceId, account, state: 'registered' },
    trigger: 'register',
    decision: 'accept',
    rule: ruleId,
    matched: [ruleId],
    reasons: [
      `account ${account} proved by STS (signer ${identity.arn}) redeemed invitation ${invitation.id}`,
      `allowed principal arn:aws:iam::${account}:root added; accepted until ${acceptedUntil}`,
    ],
    outcome: 'registered',
    rulesVersion,
    person: { actor: identity.arn },
  });
  await deps.ledger.append(entry);
  await deps.notifier.publish({ kind: 'decision', entry });
  return { serviceId, serviceName, account, acceptedUntil, ruleId, arn: identity.arn };
}

/** One accept rule per account and service: registering again renews it. */
export function registeredRuleId(account: string, serviceId: string): string {
  return `registered-${account}-${serviceId}`;
}
