import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { REGISTER_PATH } from '../../functions/shared/config.ts';
import { INVITATION_KIND, VERSION_ITEM } from '../../functions/shared/tables.ts';
import { endpointServicesArn, MANAGED_SERVICE_CONDITION } from '../permissions.ts';
import { GateFunction } from './gate-function.ts';

export interface RegisterApiProps {
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  rulesTable: dynamodb.ITable;
  ledgerTable: dynamodb.ITable;
  decisionsTopic: sns.ITopic;
  /** Requests per second across the API, and the burst above it. */
  throttle: { rateLimit: number; burstLimit: number };
}

/**
 * The register URL: an HTTP API whose one route, `POST /register`, runs the register
 * function. It is public by design (a consumer has no credentials of ours); what admits
 * anyone is the code and STS's word on the signed request in the body. The stage is
 * throttled, and the function may change only what registering changes.
 */
export class RegisterApi extends Construct {
  readonly function: GateFunction;
  readonly api: apigw.HttpApi;
  readonly url: string;

  constructor(scope: Construct, id: string, props: RegisterApiProps) {
    super(scope, id);
    this.function = new GateFunction(this, 'Function', {
      handler: 'register',
      description: 'privatelink-gate: redeem an invitation with a signed sts:GetCallerIdentity proof',
      memorySize: 256,
      timeout: Duration.seconds(15),
      environment: props.environment,
      logRetention: props.logRetention,
    });
    const fn = this.function;
    // Add the account to the allowed principals: managed services only.
    fn.allow(
      new iam.PolicyStatement({
        sid: 'AllowPrincipalsOnManagedServices',
        actions: ['ec2:ModifyVpcEndpointServicePermissions'],
        resources: [endpointServicesArn(Stack.of(this))],
        conditions: MANAGED_SERVICE_CONDITION,
      }),
    );
    fn.allow(
      new iam.PolicyStatement({
        sid: 'DescribeServices',
        actions: ['ec2:DescribeVpcEndpointServiceConfigurations'],
        resources: ['*'],
      }),
    );
    // Rules table: read and redeem invitations, write the accept rule, bump the version. Nothing else.
    fn.allow(
      new iam.PolicyStatement({
        sid: 'InvitationsRulesAndVersion',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
        resources: [props.rulesTable.tableArn],
        conditions: {
          'ForAllValues:StringEquals': {
            'dynamodb:LeadingKeys': [INVITATION_KIND, 'rule', VERSION_ITEM.kind],
          },
        },
      }),
    );
    // Ledger: append the registration entry only.
    fn.allow(
      new iam.PolicyStatement({
        sid: 'AppendLedger',
        actions: ['dynamodb:PutItem'],
        resources: [props.ledgerTable.tableArn],
      }),
    );
    props.decisionsTopic.grantPublish(fn.role);

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'privatelink-gate: consumers redeem invitations here',
      createDefaultStage: false,
    });
    this.api.addRoutes({
      path: REGISTER_PATH,
      methods: [apigw.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Register', fn.function),
    });
    const stage = new apigw.HttpStage(this, 'Stage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTime',
            route: '$context.routeKey',
            status: '$context.status',
            latency: '$context.responseLatency',
            error: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    this.url = `${stage.url.replace(/\/$/, '')}${REGISTER_PATH}`;

    for (const route of this.api.node.findAll()) {
      if (route instanceof apigw.HttpRoute) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'The register route is public by design: consumers have no credentials of this account. A request admits nobody without an unused invitation code and a signed GetCallerIdentity that STS itself accepts.',
        });
      }
    }
  }
}
