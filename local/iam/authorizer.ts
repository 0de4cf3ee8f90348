/**
 * IAM for the local cloud: every call is authorised, as on AWS, against the caller's
 * identity policy and the resource's policy. A function's role is judged by
 * `@cloud-copilot/iam-simulate` (AGPL-3.0, kept out of every Lambda bundle: see
 * local/README.md); the provider's administrator and an account's root are masters of
 * their own account and need the resource's policy to touch another's.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { Principal } from '../identity.ts';
import { DecisionCache } from './decision-cache.ts';

export interface PolicyDocument {
  /** SNS's default topic policy is still written in the 2008 version. */
  Version: '2012-10-17' | '2008-10-17';
  Id?: string;
  Statement: Record<string, unknown>[];
}

/** One action on one resource, as IAM authorises it. */
export interface AccessRequest {
  /** `service:Action`, e.g. `ec2:AcceptVpcEndpointConnections`. */
  action: string;
  /** The resource's ARN, or `*` for actions without resource-level permissions. */
  resource: string;
  /** The account that owns the resource. */
  resourceAccount: string;
  /** Condition keys of the request, e.g. `aws:ResourceTag/privatelink-gate:managed`. */
  context?: Record<string, string | string[]>;
  /** The resource's own policy (a topic policy), when it has one. */
  resourcePolicy?: PolicyDocument;
  /**
   * The resource has its service's default policy, which lets every principal of the
   * owner account use it (SNS's default topic policy) and no one else.
   */
  ownerAccountAllowed?: boolean;
}

export type DenialReason =
  | 'no identity-based policy'
  | 'no resource-based policy'
  | 'explicit deny'
  | 'not evaluable';

/** A call IAM refuses; each protocol answers it with its own error code. */
export class AccessDeniedError extends Error {
  override name = 'AccessDeniedError';
  constructor(
    readonly principalArn: string,
    readonly request: AccessRequest,
    readonly reason: DenialReason,
    options?: { cause?: unknown },
  ) {
    const why =
      reason === 'explicit deny'
        ? 'with an explicit deny in a policy'
        : reason === 'not evaluable'
          ? 'because the local cloud cannot evaluate this request (the Service Authorization Reference lists no such resource or condition for the action)'
          : `because ${reason} allows the ${request.action} action`;
    super(
      `User: ${principalArn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`,
      options,
    );
  }
}

/** A call a function's role was allowed to make: what its handlers really call. */
export interface AllowedCall extends AccessRequest {
  role: string;
}

const MAX_ALLOWED_CALLS = 10_000;

type Outcome = Awaited<ReturnType<typeof runSimulation>>;

export class Authorizer {
  private readonly allowedCalls: AllowedCall[] = [];
  private readonly decisions = new DecisionCache<Outcome>();

  constructor(private readonly log: (line: string) => void) {}

  /** The latest calls the functions' roles were allowed (at most 10,000, oldest dropped). */
  calls(): AllowedCall[] {
    return [...this.allowedCalls];
  }

  private record(call: AllowedCall): void {
    this.allowedCalls.push(call);
    if (this.allowedCalls.length > MAX_ALLOWED_CALLS) this.allowedCalls.shift();
  }

  /** Resolves when every request is allowed; rejects with the first denial. */
  async authorize(principal: Principal, requests: readonly AccessRequest[]): Promise<void> {
    for (const request of requests) {
      const reason = await this.denial(principal, request);
      if (reason !== undefined) {
        const denied = new AccessDeniedError(principal.arn, request, reason);
        this.log(`iam: denied: ${denied.message}`);
        throw denied;
      }
      if (principal.kind === 'role') this.record({ role: principal.role.name, ...request });
    }
  }

  /**
   * Whether an AWS service (`vpce.amazonaws.com`) may act on a resource on behalf of
   * `context`'s source: only a resource policy can let it.
   */
  async allowsService(servicePrincipal: string, request: AccessRequest): Promise<boolean> {
    if (request.resourcePolicy === undefined) return false;
    const outcome = await this.run(servicePrincipal, undefined, request);
    return outcome.resultType !== 'error' && outcome.overallResult === 'Allowed';
  }

  /**
   * Whether a resource policy alone lets `principalArn` act (a role's trust policy naming the
   * caller, in the caller's own account): no identity policy is consulted.
   */
  async resourcePolicyAllows(principalArn: string, request: AccessRequest): Promise<boolean> {
    if (request.resourcePolicy === undefined) return false;
    const outcome = await this.run(principalArn, undefined, request);
    return outcome.resultType !== 'error' && outcome.overallResult === 'Allowed';
  }

  private async denial(principal: Principal, request: AccessRequest): Promise<DenialReason | undefined> {
    const sameAccount = request.resourceAccount === principal.account;
    if (request.ownerAccountAllowed === true) return sameAccount ? undefined : 'no resource-based policy';
    if (principal.kind !== 'role') {
      // Root and the administrator hold every permission in their own account.
      if (sameAccount) return undefined;
      if (request.resourcePolicy === undefined) return 'no resource-based policy';
      return this.simulate(principal.arn, [{ Effect: 'Allow', Action: '*', Resource: '*' }], request);
    }
    return this.simulate(principal.arn, principal.role.statements, request);
  }

  /**
   * The simulator's outcome for `principal` with `identityStatements` (none for an AWS
   * service principal) and the resource's policy, remembered for the same question
   * (decision-cache.ts).
   */
  private run(
    principal: string,
    identityStatements: Record<string, unknown>[] | undefined,
    request: AccessRequest,
  ): Promise<Outcome> {
    const context = request.context ?? {};
    return this.decisions.decide(
      {
        principal,
        action: request.action,
        resource: request.resource,
        resourceAccount: request.resourceAccount,
        context,
        policies: [identityStatements ?? null, request.resourcePolicy ?? null],
      },
      () =>
        runSimulation(
          {
            request: {
              principal,
              action: request.action,
              resource: { resource: request.resource, accountId: request.resourceAccount },
              contextVariables: context,
            },
            identityPolicies:
              identityStatements === undefined
                ? []
                : [{ name: 'role-policy', policy: { Version: '2012-10-17', Statement: identityStatements } }],
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            ...(request.resourcePolicy === undefined ? {} : { resourcePolicy: request.resourcePolicy }),
          },
          {},
        ),
    );
  }

  private async simulate(
    principalArn: string,
    identityStatements: Record<string, unknown>[],
    request: AccessRequest,
  ): Promise<DenialReason | undefined> {
    const outcome = await this.run(principalArn, identityStatements, request);
    if (outcome.resultType === 'error') {
      // A request the simulator cannot judge is refused: the local cloud fails closed, as IAM does.
      this.log(
        `iam: cannot evaluate ${request.action} on ${request.resource} for ${principalArn}: ${JSON.stringify(outcome.errors)}`,
      );
      return 'not evaluable';
    }
    if (outcome.overallResult === 'Allowed') return undefined;
    if (outcome.overallResult === 'ExplicitlyDenied') return 'explicit deny';
    const principalAccount = /^arn:aws:(?:iam|sts)::([0-9]{12}):/.exec(principalArn)?.[1];
    return principalAccount === request.resourceAccount
      ? 'no identity-based policy'
      : 'no resource-based policy';
  }
}
