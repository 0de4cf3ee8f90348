/** The `detail` of a provider's EC2 call as CloudTrail puts it on the default bus: the fields the gate reads. */
export interface CloudTrailDetail {
  eventName: string;
  eventTime?: string;
  errorCode?: string;
  errorMessage?: string;
  /** The EC2 request id of the call: the gate's own calls are recognised by it. */
  requestID?: string;
  requestParameters?: unknown;
  responseElements?: unknown;
  userIdentity?: { arn?: string; sessionContext?: { sessionIssuer?: { arn?: string } } };
}
