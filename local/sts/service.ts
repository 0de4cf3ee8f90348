/**
 * STS on the edge port: `GetCallerIdentity`, with its signature verified for the access
 * keys whose secrets the cloud knows (registration proofs), judged at the cloud's time; and
 * `AssumeRole` (assume-role.ts), each grant remembered for the tests that count them.
 */
import { Ec2Error } from '../ec2/errors.ts';
import { ec2ErrorResponse } from '../ec2/query.ts';
import { formOf, targetOf } from '../edge-request.ts';
import type { Authorizer } from '../iam/authorizer.ts';
import type { Caller, LocalRoles, Principal } from '../identity.ts';
import { QueryParams } from '../query-params.ts';
import type { EdgeRequest, EdgeResponse, LocalService } from '../service.ts';
import { xmlDocument } from '../xml.ts';
import { type AssumeRoleGrant, assumeRole, StsError } from './assume-role.ts';
import { signatureFault } from './signature.ts';

const XML = 'text/xml;charset=UTF-8';
const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

export class StsService implements LocalService {
  readonly name = 'sts';

  constructor(
    private readonly options: {
      /** The secret of an access key, for the keys whose signatures are verified. */
      secretOf: (accessKeyId: string) => string | undefined;
      now: () => number;
      roles: LocalRoles;
      authorizer: Pick<Authorizer, 'authorize' | 'resourcePolicyAllows'>;
    },
  ) {}

  readonly #grants: AssumeRoleGrant[] = [];

  /** Every AssumeRole granted so far, oldest first. */
  grants(): AssumeRoleGrant[] {
    return [...this.#grants];
  }

  matches(request: EdgeRequest): boolean {
    if (targetOf(request) !== '') return false;
    const scope = request.caller?.service;
    if (scope === 'sts') return true;
    if (scope !== undefined && scope !== '') return false;
    const action = formOf(request).get('Action');
    return action === 'GetCallerIdentity' || action === 'AssumeRole';
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    const { caller, principal, requestId } = request;
    if (caller === undefined || principal === undefined) {
      // As the edge port always answered an unsigned Query request: in EC2's words.
      const response = ec2ErrorResponse(
        new Ec2Error(
          'AuthFailure',
          `AWS was not able to validate the provided access credentials (${request.credentialError?.message ?? 'no credentials'})`,
          401,
        ),
        requestId,
      );
      return { status: response.status, headers: { 'content-type': XML }, body: response.body };
    }
    const fault = signatureFault(
      { method: request.method, path: request.rawUrl, headers: request.headers, body: request.body },
      this.options.secretOf,
      new Date(this.options.now()),
    );
    if (fault !== undefined) {
      return {
        status: 403,
        headers: { 'content-type': XML },
        body: xmlDocument('ErrorResponse', NAMESPACE, {
          Error: { Type: 'Sender', Code: fault.code, Message: fault.message },
          RequestId: requestId,
        }),
      };
    }
    const params = QueryParams.fromSearchParams(formOf(request));
    const response =
      params.string('Action') === 'AssumeRole'
        ? await this.#assumeRole(caller, principal, params, requestId)
        : stsResponse(caller, principal, params, requestId);
    return { status: response.status, headers: { 'content-type': XML }, body: response.body };
  }

  async #assumeRole(
    caller: Caller,
    principal: Principal,
    params: QueryParams,
    requestId: string,
  ): Promise<{ status: number; body: string }> {
    try {
      const assumed = await assumeRole(params, principal, {
        roles: this.options.roles,
        authorizer: this.options.authorizer,
        now: this.options.now,
      });
      this.#grants.push({
        callerAccessKeyId: caller.accessKeyId,
        callerArn: principal.arn,
        roleArn: assumed.roleArn,
        region: caller.region,
        at: this.options.now(),
      });
      const { credentials } = assumed;
      return {
        status: 200,
        body: xmlDocument('AssumeRoleResponse', NAMESPACE, {
          AssumeRoleResult: {
            AssumedRoleUser: { AssumedRoleId: assumed.assumedRoleId, Arn: assumed.assumedRoleArn },
            Credentials: {
              AccessKeyId: credentials.accessKeyId,
              SecretAccessKey: credentials.secretAccessKey,
              SessionToken: credentials.sessionToken,
              Expiration: credentials.expiration.toISOString().replace(/\.\d{3}Z$/, 'Z'),
            },
            PackedPolicySize: 0,
          },
          ResponseMetadata: { RequestId: requestId },
        }),
      };
    } catch (error) {
      if (!(error instanceof StsError)) throw error;
      return {
        status: error.status,
        body: xmlDocument('ErrorResponse', NAMESPACE, {
          Error: { Type: 'Sender', Code: error.code, Message: error.message },
          RequestId: requestId,
        }),
      };
    }
  }
}

function stsResponse(
  caller: Caller,
  principal: Principal,
  params: QueryParams,
  requestId: string,
): { status: number; body: string } {
  const namespace = NAMESPACE;
  const action = params.string('Action') ?? '';
  if (action !== 'GetCallerIdentity') {
    return {
      status: 400,
      body: xmlDocument('ErrorResponse', namespace, {
        Error: { Type: 'Sender', Code: 'InvalidAction', Message: `Could not find operation ${action}` },
        RequestId: requestId,
      }),
    };
  }
  // GetCallerIdentity needs no permission, on AWS as here.
  return {
    status: 200,
    body: xmlDocument('GetCallerIdentityResponse', namespace, {
      GetCallerIdentityResult: {
        // Root and the administrator answer as the account root, as before roles existed.
        Arn: principal.kind === 'role' ? principal.arn : `arn:aws:iam::${caller.account}:root`,
        UserId:
          principal.kind === 'role' ? `AROA${principal.role.name}:${principal.role.name}` : caller.account,
        Account: caller.account,
      },
      ResponseMetadata: { RequestId: requestId },
    }),
  };
}
