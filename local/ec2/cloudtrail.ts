/**
 * CloudTrail for the local cloud's EC2 API: every successful call that changes
 * something lands on the caller's default event bus as `AWS API Call via
 * CloudTrail`, as management write events do on AWS (read-only calls do not).
 * The gate treats such an event as a trigger only (DESIGN §1), so the detail
 * carries CloudTrail's envelope with the request parameters as sent, flat, `requestID`
 * the request id of EC2's answer, and for an accept or reject the answer's `unsuccessful`
 * items: what the gate records a person's action from.
 */
import { randomUUID } from 'node:crypto';
import type { BusEvent } from '../events/buses.ts';
import type { Principal } from '../identity.ts';

export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

const WRITE_ACTIONS: ReadonlySet<string> = new Set([
  'CreateVpcEndpointServiceConfiguration',
  'ModifyVpcEndpointServiceConfiguration',
  'DeleteVpcEndpointServiceConfigurations',
  'ModifyVpcEndpointServicePermissions',
  'AcceptVpcEndpointConnections',
  'RejectVpcEndpointConnections',
  'CreateVpcEndpointConnectionNotification',
  'ModifyVpcEndpointConnectionNotification',
  'DeleteVpcEndpointConnectionNotifications',
  'CreateTags',
  'DeleteTags',
  'CreateVpcEndpoint',
  'DeleteVpcEndpoints',
]);

export function isRecordedAction(action: string): boolean {
  return WRITE_ACTIONS.has(action);
}

export interface RecordedCall {
  action: string;
  account: string;
  region: string;
  requestId: string;
  /** The Query parameters as sent, without Action and Version. */
  parameters: Record<string, string>;
  userAgent: string;
  /** The access key id: a key that is not the account id stands for an IAM user of that name. */
  accessKeyId?: string;
  /** Who made the call, when IAM knows: a function's role session is recorded as CloudTrail records an assumed role. */
  principal?: Principal;
  /** What CloudTrail records of the answer, where the gate needs it (the id a create returned). */
  responseElements?: unknown;
}

/** EC2's API namespace, which CloudTrail keeps as `xmlns` in an EC2 call's responseElements. */
const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const CONNECTION_ACTIONS: ReadonlySet<string> = new Set([
  'AcceptVpcEndpointConnections',
  'RejectVpcEndpointConnections',
]);

/**
 * The responseElements CloudTrail records for a call, from the XML answer (only where the
 * gate reads them). For an accept or reject, the answer as EC2 gave it: its request id and
 * the `unsuccessful` items, empty (`""`) when every endpoint was changed.
 */
export function responseElementsOf(action: string, responseBody: string): unknown {
  if (CONNECTION_ACTIONS.has(action)) return connectionActionResponse(action, responseBody);
  if (action !== 'CreateVpcEndpointServiceConfiguration') return null;
  const serviceId = /<serviceId>(vpce-svc-[0-9a-f]+)<\/serviceId>/.exec(responseBody)?.[1];
  return serviceId
    ? { CreateVpcEndpointServiceConfigurationResponse: { serviceConfiguration: { serviceId } } }
    : null;
}

function connectionActionResponse(action: string, body: string): unknown {
  const requestId = /<requestId>([^<]*)<\/requestId>/.exec(body)?.[1];
  const unsuccessful = /<unsuccessful>([\s\S]*?)<\/unsuccessful>/.exec(body)?.[1] ?? '';
  const items = [...unsuccessful.matchAll(/<item>([\s\S]*?)<\/item>/g)].map(([, item = '']) => ({
    error: {
      code: textOf(item, 'code'),
      message: textOf(item, 'message'),
    },
    resourceId: textOf(item, 'resourceId'),
  }));
  return {
    [`${action}Response`]: {
      xmlns: EC2_XMLNS,
      ...(requestId === undefined ? {} : { requestId: unescapeXml(requestId) }),
      unsuccessful: items.length === 0 ? '' : { item: items },
    },
  };
}

function textOf(xml: string, tag: string): string {
  return unescapeXml(new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1] ?? '');
}

function unescapeXml(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}

function userIdentity(call: RecordedCall) {
  if (call.principal?.kind === 'role') {
    const { principal } = call;
    return {
      type: 'AssumedRole',
      principalId: `AROA${principal.role.name}:${principal.role.name}`,
      arn: principal.arn,
      accountId: call.account,
      accessKeyId: call.accessKeyId,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: `AROA${principal.role.name}`,
          arn: principal.roleArn,
          accountId: call.account,
          userName: principal.role.name,
        },
      },
    };
  }
  if (call.accessKeyId === undefined || call.accessKeyId === call.account) {
    return {
      type: 'Root',
      principalId: call.account,
      arn: `arn:aws:iam::${call.account}:root`,
      accountId: call.account,
    };
  }
  return {
    type: 'IAMUser',
    principalId: call.accessKeyId,
    arn: `arn:aws:iam::${call.account}:user/${call.accessKeyId}`,
    accountId: call.account,
    accessKeyId: call.accessKeyId,
    userName: call.accessKeyId,
  };
}

export function cloudTrailEvent(call: RecordedCall, now: Date = new Date()): BusEvent {
  const time = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': CLOUDTRAIL_DETAIL_TYPE,
    source: 'aws.ec2',
    account: call.account,
    time,
    region: call.region,
    resources: [],
    detail: {
      eventVersion: '1.08',
      userIdentity: userIdentity(call),
      eventTime: time,
      eventSource: 'ec2.amazonaws.com',
      eventName: call.action,
      awsRegion: call.region,
      sourceIPAddress: '127.0.0.1',
      userAgent: call.userAgent,
      requestParameters: call.parameters,
      responseElements: call.responseElements ?? null,
      requestID: call.requestId,
      eventID: randomUUID(),
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: call.account,
      eventCategory: 'Management',
    },
  };
}
