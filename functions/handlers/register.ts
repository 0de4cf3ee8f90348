import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createClients } from '../aws/clients.ts';
import { DynamoInvitations } from '../aws/invitations.ts';
import { Ec2ServiceAccess } from '../aws/service-access.ts';
import { FetchCallerIdentityVerifier, StsUnreachableError } from '../aws/sts-proof.ts';
import { StsAnswerError } from '../core/registration/sts-answer.ts';
import { stsEndpoints } from '../core/registration/sts-endpoints.ts';
import { type RegisterDeps, RegistrationRefusedError, registerConsumer } from '../gate/register.ts';
import { gateNow } from '../shared/clock.ts';
import { ENV } from '../shared/config.ts';
import { METRIC, OUTCOME_METRIC } from '../shared/metrics.ts';
import { containerRuntime } from './container.ts';
import { logger, metrics, tracing } from './observability.ts';
import { gateRuntime } from './runtime.ts';

const MAX_BODY = 16 * 1024;

/** The register function's own container: the gate's adapters plus invitations, STS and EC2 service access. */
const registerDeps = containerRuntime({
  clients: (options) => createClients(options),
  build: (clients, config): Omit<RegisterDeps, 'now'> => {
    const gate = gateRuntime(clients, config);
    const extra = (process.env[ENV.registerStsOrigins] ?? '').split(',').filter((origin) => origin !== '');
    return {
      invitations: new DynamoInvitations(clients.dynamodb, config.rulesTable),
      sts: new FetchCallerIdentityVerifier(),
      services: new Ec2ServiceAccess(clients.ec2),
      rules: gate.rulesStore,
      ledger: gate.ledger,
      notifier: gate.notifier,
      stsEndpoints: stsEndpoints(extra),
    };
  },
});

const answer = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** POST /register `{code, request}` → 200 `{serviceId, serviceName, account, acceptedUntil}`, or a 4xx saying why not. */
async function register(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  let body: unknown;
  try {
    if (text.length > MAX_BODY)
      throw new RegistrationRefusedError('malformed', `the body is larger than ${MAX_BODY} bytes`);
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new RegistrationRefusedError('malformed', 'the body is not JSON {code, request}', {
        cause: error,
      });
    }
    const registration = await registerConsumer(body, { ...registerDeps(), now: gateNow });
    metrics.addMetric(OUTCOME_METRIC.registered, MetricUnit.Count, 1);
    logger.info('consumer registered', {
      serviceId: registration.serviceId,
      account: registration.account,
      arn: registration.arn,
    });
    const { serviceId, serviceName, account, acceptedUntil } = registration;
    return answer(200, { serviceId, serviceName, account, acceptedUntil });
  } catch (error) {
    if (error instanceof RegistrationRefusedError) {
      countRefusal(error.reason);
      logger.warn('registration refused', { reason: error.reason, message: error.message });
      return answer(error.status, { message: error.message, reason: error.reason });
    }
    if (error instanceof StsUnreachableError || error instanceof StsAnswerError) {
      countRefusal('sts-unavailable');
      logger.error('STS did not give a usable answer', { error });
      return answer(502, {
        message: `${error.message}; nothing was written, try again`,
        reason: 'sts-unavailable',
      });
    }
    throw error;
  }
}

function countRefusal(reason: string): void {
  metrics.addMetric(METRIC.registrationRefusals, MetricUnit.Count, 1);
  const byReason = metrics.singleMetric();
  byReason.addDimension('reason', reason);
  byReason.addMetric(METRIC.registrationRefusals, MetricUnit.Count, 1);
}

export const handler = middy(register).use(tracing).use(injectLambdaContext(logger)).use(logMetrics(metrics));
