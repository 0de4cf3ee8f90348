import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { MANAGED_TAG } from '../../functions/shared/tables.ts';

/**
 * The EC2 permissions of the gate, scoped the way the Service Authorization Reference
 * for Amazon EC2 allows:
 *
 * - `AcceptVpcEndpointConnections` / `RejectVpcEndpointConnections` authorize two
 *   resource types, both required: `vpc-endpoint-service*` (ours) and `vpc-endpoint*`
 *   (the consumer's). The service is scoped to this account and region and to the tag
 *   `privatelink-gate:managed=true`; the endpoint gets its own statement (see below).
 * - `ModifyVpcEndpointServiceConfiguration`, `CreateVpcEndpointConnectionNotification`
 *   and `ModifyVpcEndpointConnectionNotification` act on our endpoint service, scoped by
 *   the same tag.
 * - The Describe* calls support no resource-level permissions and take `*`.
 */

/** Only endpoint services that carry the gate's tag. */
export const MANAGED_SERVICE_CONDITION = {
  StringEquals: { [`aws:ResourceTag/${MANAGED_TAG.key}`]: MANAGED_TAG.value },
};

export const CONNECTION_ACTIONS = ['ec2:AcceptVpcEndpointConnections', 'ec2:RejectVpcEndpointConnections'];
export const ENROLLMENT_ACTIONS = [
  'ec2:ModifyVpcEndpointServiceConfiguration',
  'ec2:CreateVpcEndpointConnectionNotification',
  'ec2:ModifyVpcEndpointConnectionNotification',
];

/** `arn:PARTITION:ec2:REGION:ACCOUNT:vpc-endpoint-service/*`: this account's services in this region. */
export function endpointServicesArn(scope: IConstruct): string {
  return Stack.of(scope).formatArn({
    service: 'ec2',
    resource: 'vpc-endpoint-service',
    resourceName: '*',
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/** `arn:PARTITION:ec2:*:*:vpc-endpoint/*`: consumers' endpoints, in any account and region. */
export function consumerEndpointsArn(scope: IConstruct): string {
  return Stack.of(scope).formatArn({
    service: 'ec2',
    region: '*',
    account: '*',
    resource: 'vpc-endpoint',
    resourceName: '*',
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/** Accept and reject connections, on managed services only. */
export function connectionActionStatements(scope: IConstruct): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'ActOnManagedServices',
      actions: CONNECTION_ACTIONS,
      resources: [endpointServicesArn(scope)],
      conditions: MANAGED_SERVICE_CONDITION,
    }),
    // The action also authorizes the consumer's endpoint. It lives in the consumer's account
    // (and, with cross-region PrivateLink, in the consumer's region), and its tags are the
    // consumer's, not ours: a tag condition here would deny every connection. This grants
    // nothing on its own, since the same call must also pass the tag-scoped statement above.
    new iam.PolicyStatement({
      sid: 'NameConsumerEndpoints',
      actions: CONNECTION_ACTIONS,
      resources: [consumerEndpointsArn(scope)],
    }),
  ];
}

/** Make a managed service require acceptance and notify the ingest topic (enrollment). */
export function enrollmentStatements(scope: IConstruct): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'EnrollManagedServices',
      actions: ENROLLMENT_ACTIONS,
      resources: [endpointServicesArn(scope)],
      conditions: MANAGED_SERVICE_CONDITION,
    }),
    describeStatement('DescribeNotifications', ['ec2:DescribeVpcEndpointConnectionNotifications']),
  ];
}

/** Read-only EC2 calls; AWS allows only `*` for them. */
export function describeStatement(sid: string, actions: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid, actions, resources: ['*'] });
}

/** The consumer account's organization and OU path, when `organizationsLookup` is on. */
export function organizationsReadStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ReadOrganization',
    actions: [
      'organizations:DescribeOrganization',
      'organizations:DescribeAccount',
      'organizations:ListParents',
    ],
    resources: ['*'],
  });
}
