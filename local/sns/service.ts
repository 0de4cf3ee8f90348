/**
 * SNS on the edge port (the Query API): IAM first, with the topic's key for encrypted
 * topics, then the topics; and the `AWS::SNS::*` resources a template makes.
 */
import { denialOf, formOf, targetOf } from '../edge-request.ts';
import type { Authorizer } from '../iam/authorizer.ts';
import { snsAccessRequests, snsKeyRequests } from '../iam/sns-access.ts';
import { QueryParams } from '../query-params.ts';
import type { EdgeRequest, EdgeResponse, LocalService, ResourceProvider } from '../service.ts';
import { handleSnsQuery, SNS_ACTIONS, SNS_API_VERSION, SnsError, snsErrorDocument } from './query.ts';
import type { SnsTopics } from './topics.ts';

const XML = 'text/xml;charset=UTF-8';

export class SnsService implements LocalService {
  readonly name = 'sns';

  constructor(
    private readonly topics: SnsTopics,
    private readonly authorizer: Authorizer,
    readonly resources: readonly ResourceProvider[],
  ) {}

  matches(request: EdgeRequest): boolean {
    if (targetOf(request) !== '') return false;
    const scope = request.caller?.service;
    if (scope === 'sns') return true;
    if (scope !== undefined && scope !== '') return false;
    const form = formOf(request);
    return form.get('Version') === SNS_API_VERSION || SNS_ACTIONS.includes(form.get('Action') ?? '');
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    const { requestId, caller, principal } = request;
    const failed = (error: SnsError): EdgeResponse => ({
      status: error.status,
      headers: { 'content-type': XML },
      body: snsErrorDocument(error, requestId),
    });
    if (caller === undefined || principal === undefined) {
      const missing = request.credentialError?.problem !== 'garbled';
      return failed(
        new SnsError(
          missing ? 'MissingAuthenticationToken' : 'IncompleteSignature',
          request.credentialError?.message ?? 'Request is missing Authentication Token',
          missing ? 403 : 400,
        ),
      );
    }
    const params = QueryParams.fromSearchParams(formOf(request));
    const denied =
      (await denialOf(this.authorizer, principal, snsAccessRequests(this.topics, caller, params))) ??
      (await denialOf(this.authorizer, principal, snsKeyRequests(this.topics, params)));
    if (denied !== undefined) {
      const kms = denied.request.action.startsWith('kms:');
      return failed(
        new SnsError(kms ? 'KMSAccessDenied' : 'AuthorizationError', denied.message, kms ? 400 : 403),
      );
    }
    const response = handleSnsQuery(this.topics, caller, params, requestId);
    return { status: response.status, headers: { 'content-type': XML }, body: response.body };
  }
}
