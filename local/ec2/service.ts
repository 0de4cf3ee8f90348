/**
 * EC2 on the edge port (the Query API for endpoint services and endpoints): IAM first,
 * then the model; each successful write is also the CloudTrail event EventBridge's default
 * bus gets (`AWS API Call via CloudTrail`), as AWS delivers it.
 */
import { contentTypeOf, denialOf, formOf, targetOf } from '../edge-request.ts';
import type { EventBuses } from '../events/buses.ts';
import type { Authorizer } from '../iam/authorizer.ts';
import { ec2AccessRequests } from '../iam/ec2-access.ts';
import { QueryParams } from '../query-params.ts';
import type { EdgeRequest, EdgeResponse, LocalService } from '../service.ts';
import { cloudTrailEvent, isRecordedAction, responseElementsOf } from './cloudtrail.ts';
import { Ec2Error } from './errors.ts';
import type { Ec2Model } from './model.ts';
import { EC2_ACTIONS, EC2_API_VERSION, ec2ErrorResponse, handleEc2Query } from './query.ts';

const XML = 'text/xml;charset=UTF-8';

export class Ec2Service implements LocalService {
  readonly name = 'ec2';

  constructor(
    private readonly ec2: Ec2Model,
    private readonly options: { authorizer: Authorizer; buses: EventBuses },
  ) {}

  /** A Query request for ec2, or one that names no service (EC2 is the edge port's first API). */
  matches(request: EdgeRequest): boolean {
    if (targetOf(request) !== '') return false;
    const scope = request.caller?.service;
    if (scope === 'ec2' || scope === undefined) return true;
    return formOf(request).get('Version') === EC2_API_VERSION;
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    const { caller, principal, requestId } = request;
    const xml = (response: { status: number; body: string }): EdgeResponse => ({
      status: response.status,
      headers: { 'content-type': XML },
      body: response.body,
    });
    const failed = (error: Ec2Error) => xml(ec2ErrorResponse(error, requestId));
    if (caller === undefined || principal === undefined) {
      return failed(
        new Ec2Error(
          'AuthFailure',
          `AWS was not able to validate the provided access credentials (${request.credentialError?.message ?? 'no credentials'})`,
          401,
        ),
      );
    }
    const form = formOf(request);
    const params = QueryParams.fromSearchParams(form);
    const contentType = contentTypeOf(request);
    if (
      request.method === 'POST' &&
      contentType !== 'application/x-www-form-urlencoded' &&
      !params.has('Action')
    ) {
      return failed(
        new Ec2Error(
          'MissingAction',
          `The request must contain the parameter Action (as a form body, content-type application/x-www-form-urlencoded; got '${contentType || 'none'}')`,
        ),
      );
    }
    const ec2Caller = { account: caller.account, region: caller.region };
    const action = params.string('Action') ?? '';
    if (EC2_ACTIONS.includes(action)) {
      const denied = await denialOf(
        this.options.authorizer,
        principal,
        ec2AccessRequests(this.ec2, ec2Caller, action, params),
      );
      if (denied !== undefined) {
        return failed(
          new Ec2Error(
            'UnauthorizedOperation',
            `You are not authorized to perform this operation. ${denied.message}`,
            403,
          ),
        );
      }
    }
    const response = handleEc2Query(this.ec2, ec2Caller, params, requestId);
    if (response.status === 200 && isRecordedAction(action)) {
      const parameters = Object.fromEntries(
        [...form].filter(([name]) => name !== 'Action' && name !== 'Version'),
      );
      const event = cloudTrailEvent({
        action,
        account: caller.account,
        region: caller.region,
        requestId,
        parameters,
        userAgent: String(request.headers['user-agent'] ?? ''),
        accessKeyId: caller.accessKeyId,
        principal,
        responseElements: responseElementsOf(action, response.body),
      });
      // Delivered after the answer has gone out (deliveries start on a later turn), as CloudTrail's is.
      this.options.buses.deliver('default', event);
    }
    return xml(response);
  }
}
