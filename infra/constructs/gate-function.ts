import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundleDefines, ESM_REQUIRE_BANNER } from './bundle-options.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';

export { bundleDefines, ESM_REQUIRE_BANNER };

/** The repository root: handlers, package-lock.json and node_modules live under it. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The template metadata key naming a function's handler source, relative to the project root. */
import { SOURCE_METADATA_KEY } from '../source-metadata.ts';

/** Handler files under functions/handlers/, one per Lambda. */
export type HandlerName = 'ingest' | 'decide' | 'sweep' | 'rule-change' | 'register' | 'operator';

export interface AsyncInvokeSettings {
  /** Lambda's own retries of an asynchronous invoke (0-2). */
  retryAttempts: number;
  /** How long Lambda keeps an event it could not process before it goes to the DLQ. */
  maxEventAge: Duration;
}

export interface GateFunctionProps {
  handler: HandlerName;
  description: string;
  memorySize: number;
  timeout: Duration;
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  /** Set for functions invoked asynchronously (SNS, EventBridge); failures land in the DLQ. */
  asyncInvoke?: AsyncInvokeSettings;
  reservedConcurrentExecutions?: number;
  /** Fed by an SQS queue whose redrive policy targets this function's dead-letter queue. */
  queueFed?: boolean;
  /** A fixed name, for a function people invoke by name (the operator function). */
  functionName?: string;
}

/**
 * One of the gate's Lambdas with the shared defaults: Node.js 22 on arm64, an esbuild
 * bundle of our code and the AWS SDK (ESM, minified, source maps), its own log group
 * with retention, active tracing, its own role holding only what is granted to it, and
 * a dead-letter queue for everything that fails asynchronously.
 */
export class GateFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: GateFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of our own instead of AWSLambdaBasicExecutionRole: it writes to its one log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `privatelink-gate ${props.handler} function`,
    });
    this.logGroup.grantWrite(this.role);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      redriveTarget: props.queueFed === true,
    });

    this.function = new NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}functions/handlers/${props.handler}.ts`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: props.environment,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      ...(props.functionName ? { functionName: props.functionName } : {}),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        // Stack traces need the mappings, not a second copy of every source file.
        sourcesContent: false,
        // The SDK is bundled too: a pinned, tree-shaken SDK instead of whatever the runtime ships.
        externalModules: [],
        // Synth runs offline on the machine's esbuild; Docker is never needed.
        forceDockerBundling: false,
        // esbuild's own summary (info level) marks every output over 1 MB with a warning sign;
        // ours are 1.1 MB on purpose (the SDK is bundled) and bench/bundle-sizes.ts measures them.
        // Real esbuild warnings and errors still print.
        logLevel: LogLevel.WARNING,
        // Without SDK tracing, the X-Ray SDK's imports sit in a dead branch and leave the
        // bundle (functions/handlers/observability.ts).
        define: bundleDefines(props.environment),
      },
    });

    // Where the bundle comes from: `plgate local` runs a template synthesized without
    // bundling from this source file instead. AWS ignores the key.
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata(
      SOURCE_METADATA_KEY,
      `functions/handlers/${props.handler}.ts`,
    );

    if (props.asyncInvoke !== undefined) {
      this.function.configureAsyncInvoke({
        retryAttempts: props.asyncInvoke.retryAttempts,
        maxEventAge: props.asyncInvoke.maxEventAge,
        onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      });
    }

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The gate targets nodejs22.x on purpose (issue 6); moving to a newer runtime is a tested upgrade.',
    });
    this.acknowledgeWildcards({
      'Resource::*':
        'X-Ray PutTraceSegments/PutTelemetryRecords, dynamodb:ListStreams, the EC2 Describe* calls and the Organizations reads support no resource-level permissions and only accept "*".',
    });
  }

  /** Adds one statement to this function's role. */
  allow(statement: iam.PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }

  /**
   * Acknowledges cdk-nag IAM5 findings on this function's policy, each with its reason.
   * Keys are the finding as cdk-nag reports it, e.g. `Resource::*`.
   */
  acknowledgeWildcards(findings: Record<string, string>): void {
    for (const [finding, reason] of Object.entries(findings)) {
      Validations.of(this.role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    }
  }
}
