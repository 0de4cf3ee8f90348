import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { REGISTER_PATH } from '../../functions/shared/config.ts';
import { GateFunction } from './gate-function.ts';

export interface RegisterApiProps {
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  /** Requests per second across the API, and the burst above it. */
  throttle: { rateLimit: number; burstLimit: number };
}

/**
 * The register URL: an HTTP API whose one route, `POST /register`, runs the register
 * function. It is public by design (a consumer has no credentials of ours); what admits
 * anyone is the code and STS's word on the signed request in the body. The stage is
 * throttled. The function's role is built by the stack from infra/permissions.ts, like every
 * other function's: it may change only what registering changes.
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
