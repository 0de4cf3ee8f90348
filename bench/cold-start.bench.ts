/**
 * Cold start of each Lambda bundle, as Lambda runs it: in a fresh Node process, the module
 * init (import of the bundle, Lambda's INIT phase) and then its first invocation with a
 * realistic event, in which every SDK client makes its first real call over HTTP. Median of
 * 5 fresh processes (1 with --quick), against a floor bundle built the same way that imports
 * the same SDK clients, builds them with the same configuration and makes the same calls
 * (same services, actions and counts, same endpoint and credentials), and nothing else.
 * Both with and without `--enable-source-maps`, which the stack sets in NODE_OPTIONS.
 *
 * The floor makes its calls one after another, as the handlers do (each waits for the answer
 * it needs); it does not wait for a rate limit, and the limits are part of what is measured.
 *
 * The calls go to a local cloud this bench starts (local/), with the gate's tables, topics,
 * bus and roles as `plgate local` makes them, but no gate running in it: each event comes
 * from the path the stack wires (a consumer's CreateVpcEndpoint -> the connection
 * notification on the ingest topic; ingest's `Connection Event` -> the decide queue; a rule
 * item written -> the rules-table stream), and the calls each first invocation made are
 * counted at the cloud's edge port, per caller and action, which is what the floor replays.
 * The real local cloud rather than a stub server: its answers are the ones the gate's tests
 * trust, and it counts the calls by caller, which is how the floor learns what to replay.
 * Each child runs with the Lambda environment (AWS_EXECUTION_ENV, a sampled trace id, an
 * X-Ray daemon address this bench listens on) and the stack's default `sdkTracing: false`;
 * PLGATE_COLD_SDK_TRACING=true turns Powertools' tracer on, as `sdkTracing: true` would.
 * Run: npm run bench -- cold-start
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import type { DynamoDBStreamEvent, SNSEvent, SQSEvent } from 'aws-lambda';
import { build } from 'esbuild';
import { clientConfig } from '../functions/aws/client-config.ts';
import { createClients } from '../functions/aws/clients.ts';
import { DynamoRulesStore } from '../functions/aws/rules-store.ts';
import { ENV as GATE_ENV, SDK_TRACING_ENV } from '../functions/shared/config.ts';
import { DETAIL_TYPE, EVENT_SOURCE } from '../functions/shared/events.ts';
import { LEDGER_TABLE_KEY, MANAGED_TAG } from '../functions/shared/tables.ts';
import { bundleDefines, ESM_REQUIRE_BANNER } from '../infra/constructs/gate-function.ts';
import type { GateFunctionName } from '../infra/permissions.ts';
import type { CallCount } from '../local/call-counts.ts';
import { startLocalCloud } from '../local/cloud.ts';
import { localGateConfig, localGateRoles, provisionGateResources } from '../local/gate-resources.ts';
import { scheduledEvent } from '../local/in-process-gate.ts';
import { PROVIDER_CREDENTIALS } from '../local/provider-credentials.ts';
import { median, quick, recordResults } from './harness.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** --quick: one process per bundle and variant, to show the bench works (its figures are not to be quoted). */
const RUNS = quick ? 1 : 5;
/**
 * The stack's default is no SDK-level tracing (config `sdkTracing: false`);
 * PLGATE_COLD_SDK_TRACING=true measures with it on, into `coldStartSdkTracing`.
 */
const SDK_TRACING = process.env.PLGATE_COLD_SDK_TRACING === 'true';
const CONSUMER = '111111111111';
const NLB_ARN =
  'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/gate-nlb/0123456789abcdef';

type FunctionName = 'Ingest' | 'Decide' | 'Sweep' | 'RuleChange';

/** The SDK clients each handler builds (functions/aws/clients.ts, rule-change-runtime.ts). */
const GATE_CLIENTS = ['ec2', 'dynamodb', 'sns', 'events', 'organizations'];
/** Timeout and memory as the stack gives them (infra/gate-stack.ts): the sweep's time budget depends on it. */
const FUNCTIONS: Record<
  FunctionName,
  { entry: string; role: GateFunctionName; clients: string[]; timeoutMs: number; memoryMb: number }
> = {
  Ingest: {
    entry: 'functions/handlers/ingest.ts',
    role: 'ingest',
    clients: GATE_CLIENTS,
    timeoutMs: 30_000,
    memoryMb: 256,
  },
  Decide: {
    entry: 'functions/handlers/decide.ts',
    role: 'decide',
    clients: GATE_CLIENTS,
    timeoutMs: 60_000,
    memoryMb: 512,
  },
  Sweep: {
    entry: 'functions/handlers/sweep.ts',
    role: 'sweep',
    clients: GATE_CLIENTS,
    timeoutMs: 900_000,
    memoryMb: 1024,
  },
  RuleChange: {
    entry: 'functions/handlers/rule-change.ts',
    role: 'ruleChange',
    clients: ['dynamodb', 'sns', 'events'],
    timeoutMs: 60_000,
    memoryMb: 256,
  },
};

/** How the floor builds each client: the same packages and configuration as functions/aws/clients.ts. */
const CLIENT_SOURCE: Record<string, string> = {
  ec2: "import * as ec2 from '@aws-sdk/client-ec2'; const ec2Client = new ec2.EC2Client(config);",
  dynamodb:
    "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; import * as ddb from '@aws-sdk/lib-dynamodb'; const dynamodbClient = ddb.DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: { removeUndefinedValues: true } });",
  sns: "import * as sns from '@aws-sdk/client-sns'; const snsClient = new sns.SNSClient(config);",
  events:
    "import * as events from '@aws-sdk/client-eventbridge'; const eventsClient = new events.EventBridgeClient(config);",
  organizations:
    "import { OrganizationsClient } from '@aws-sdk/client-organizations'; new OrganizationsClient(config);",
};

/**
 * One call of each action the handlers make, with small valid inputs on the same tables,
 * topic and bus (read from the same environment), answered with a success as the gate's are.
 * A floor key of its own so it never touches the gate's items; an endpoint that does not
 * exist, so an accept changes nothing (EC2 reports it in `Unsuccessful`, with HTTP 200).
 */
const FLOOR_KEY = `{ ${LEDGER_TABLE_KEY.partitionKey}: 'floor', ${LEDGER_TABLE_KEY.sortKey}: 'floor' }`;
const CALL_SOURCE: Record<string, string> = {
  'ec2:DescribeVpcEndpointServiceConfigurations':
    'await ec2Client.send(new ec2.DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [env.BENCH_SERVICE_ID] }));',
  'ec2:DescribeVpcEndpointConnections':
    "await ec2Client.send(new ec2.DescribeVpcEndpointConnectionsCommand({ Filters: [{ Name: 'service-id', Values: [env.BENCH_SERVICE_ID] }] }));",
  'ec2:AcceptVpcEndpointConnections':
    "await ec2Client.send(new ec2.AcceptVpcEndpointConnectionsCommand({ ServiceId: env.BENCH_SERVICE_ID, VpcEndpointIds: ['vpce-0000000000000000f'] }));",
  'ec2:RejectVpcEndpointConnections':
    "await ec2Client.send(new ec2.RejectVpcEndpointConnectionsCommand({ ServiceId: env.BENCH_SERVICE_ID, VpcEndpointIds: ['vpce-0000000000000000f'] }));",
  'ec2:DescribeVpcEndpointConnectionNotifications':
    "await ec2Client.send(new ec2.DescribeVpcEndpointConnectionNotificationsCommand({ Filters: [{ Name: 'service-id', Values: [env.BENCH_SERVICE_ID] }] }));",
  'dynamodb:GetItem': `await dynamodbClient.send(new ddb.GetCommand({ TableName: env.${GATE_ENV.ledgerTable}, Key: ${FLOOR_KEY} }));`,
  'dynamodb:PutItem': `await dynamodbClient.send(new ddb.PutCommand({ TableName: env.${GATE_ENV.ledgerTable}, Item: { ...${FLOOR_KEY}, at: new Date().toISOString() } }));`,
  'dynamodb:UpdateItem': `await dynamodbClient.send(new ddb.UpdateCommand({ TableName: env.${GATE_ENV.ledgerTable}, Key: ${FLOOR_KEY}, UpdateExpression: 'SET #n = if_not_exists(#n, :zero) + :one', ExpressionAttributeNames: { '#n': 'n' }, ExpressionAttributeValues: { ':zero': 0, ':one': 1 } }));`,
  'dynamodb:BatchGetItem': `await dynamodbClient.send(new ddb.BatchGetCommand({ RequestItems: { [env.${GATE_ENV.ledgerTable}]: { Keys: [${FLOOR_KEY}] } } }));`,
  'dynamodb:Query': `await dynamodbClient.send(new ddb.QueryCommand({ TableName: env.${GATE_ENV.ledgerTable}, KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': '${LEDGER_TABLE_KEY.partitionKey}' }, ExpressionAttributeValues: { ':pk': 'floor' } }));`,
  'dynamodb:Scan': `await dynamodbClient.send(new ddb.ScanCommand({ TableName: env.${GATE_ENV.rulesTable} }));`,
  'dynamodb:TransactWriteItems': `await dynamodbClient.send(new ddb.TransactWriteCommand({ TransactItems: [{ Put: { TableName: env.${GATE_ENV.ledgerTable}, Item: { ...${FLOOR_KEY}, at: new Date().toISOString() } } }] }));`,
  'sns:Publish': `await snsClient.send(new sns.PublishCommand({ TopicArn: env.${GATE_ENV.decisionsTopicArn}, Message: '{"floor":true}' }));`,
  'events:PutEvents': `await eventsClient.send(new events.PutEventsCommand({ Entries: [{ EventBusName: env.${GATE_ENV.gateBusName}, Source: 'bench.floor', DetailType: 'Floor', Detail: '{}' }] }));`,
};

/** The child: imports the bundle, invokes its handler once with the event, reports both times. */
const CHILD_SOURCE = `
import { readFileSync } from 'node:fs';
const [bundle, eventFile, timeoutMs] = process.argv.slice(2);
const started = performance.now();
const { handler } = await import(bundle);
const imported = performance.now();
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const deadline = Date.now() + Number(timeoutMs);
const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: '0c0ffee0-0000-4000-8000-000000000001',
  logGroupName: '/aws/lambda/' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};
const result = await handler(event, context);
const invoked = performance.now();
process.stdout.write('\\n@@cold-start ' + JSON.stringify({ initMs: imported - started, firstInvokeMs: invoked - imported, result }) + '\\n');
process.exit(0);
`;

interface ChildRun {
  initMs: number;
  firstInvokeMs: number;
  result: unknown;
}

async function bundle(entry: string, outfile: string): Promise<number> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    // As the stack builds each handler: the X-Ray SDK leaves the bundle unless SDK tracing is on.
    define: bundleDefines({ [SDK_TRACING_ENV]: String(SDK_TRACING) }),
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'silent',
    // The floor entries live in a temporary directory: resolve packages from the project.
    nodePaths: [join(ROOT, 'node_modules')],
  });
  return statSync(outfile).size;
}

/** Runs the child on a bundle in a fresh process (asynchronously: the local cloud answers it from this one). */
function runChild(
  childFile: string,
  file: string,
  eventFile: string,
  env: Record<string, string>,
  sourceMaps: boolean,
  timeoutMs: number,
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...(sourceMaps ? ['--enable-source-maps'] : []),
        childFile,
        pathToFileURL(file).href,
        eventFile,
        String(timeoutMs),
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('@@cold-start '));
      if (code !== 0 || line === undefined) {
        reject(new Error(`${file} failed (exit ${code}):\n${stderr.slice(-3000)}\n${stdout.slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line.slice('@@cold-start '.length)) as ChildRun);
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'plgate-cold-'));
const xrayDaemon = createSocket('udp4');
await new Promise<void>((resolve) => xrayDaemon.bind(0, '127.0.0.1', resolve));
xrayDaemon.on('message', () => {});
const cloud = await startLocalCloud({
  port: 0,
  acceptDelayMs: 20,
  deleteDelayMs: 20,
  retryDelayMs: 5,
  log: () => {},
});
try {
  const config = localGateConfig(cloud.account, cloud.region);
  const roles = localGateRoles(cloud.account, cloud.region);
  for (const role of Object.values(roles)) cloud.iam.roles.define(role);
  await provisionGateResources(cloud, config, PROVIDER_CREDENTIALS);

  // What the stack wires, with the functions replaced by captures: each captured event is one first invocation.
  const notifications: SNSEvent[] = [];
  const decideBatches: SQSEvent[] = [];
  const streamEvents: DynamoDBStreamEvent[] = [];
  cloud.sns.subscribe(config.ingestTopicArn, async (event) => {
    notifications.push(event);
  });
  const decideQueue = cloud.queues.create(
    `${config.gateBusName}-decide`,
    { windowMs: 0, maxSize: 1, maxReceives: 1, visibilityTimeoutMs: 1_000 },
    async (event) => {
      decideBatches.push(event);
      return { batchItemFailures: [] };
    },
  );
  cloud.events.subscribe(
    config.gateBusName,
    (e) => e.source === EVENT_SOURCE && e['detail-type'] === DETAIL_TYPE.connectionEvent,
    async (e) => decideQueue.send(JSON.stringify(e)),
  );
  cloud.dynamodb.onTableChange(config.rulesTable, async (event) => {
    streamEvents.push(event);
  });

  const provider = createClients({
    endpoint: cloud.endpoint,
    region: cloud.region,
    credentials: PROVIDER_CREDENTIALS,
  });
  const rules = new DynamoRulesStore(provider.dynamodb, config.rulesTable);
  await rules.putItems([
    { kind: 'defaults', id: 'defaults', defaultEffect: 'review' },
    { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: [CONSUMER] } },
  ]);
  await rules.bumpVersion();
  await cloud.idle();
  const ec2Provider = new EC2Client({
    endpoint: cloud.endpoint,
    region: cloud.region,
    credentials: PROVIDER_CREDENTIALS,
  });
  const created = await ec2Provider.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      AcceptanceRequired: true,
      NetworkLoadBalancerArns: [NLB_ARN],
      TagSpecifications: [
        { ResourceType: 'vpc-endpoint-service', Tags: [{ Key: MANAGED_TAG.key, Value: MANAGED_TAG.value }] },
      ],
    }),
  );
  const serviceId = created.ServiceConfiguration?.ServiceId ?? '';
  await ec2Provider.send(
    new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: serviceId, AddAllowedPrincipals: ['*'] }),
  );
  const consumer = new EC2Client({
    endpoint: cloud.endpoint,
    region: cloud.region,
    credentials: { accessKeyId: CONSUMER, secretAccessKey: 'bench' },
  });
  /** A consumer's request to the service, pending acceptance; resolves once its notices are delivered. */
  const request = async (): Promise<string> => {
    const { VpcEndpoint } = await consumer.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: 'vpc-0123456789abcdef0',
        SubnetIds: ['subnet-0123456789abcdef0'],
        ServiceName: `com.amazonaws.vpce.${cloud.region}.${serviceId}`,
      }),
    );
    await cloud.idle();
    return VpcEndpoint?.VpcEndpointId ?? '';
  };

  const childFile = join(dir, 'child.mjs');
  writeFileSync(childFile, CHILD_SOURCE);
  const envFor = (name: FunctionName): Record<string, string> => ({
    PATH: process.env.PATH ?? '',
    AWS_REGION: cloud.region,
    AWS_ENDPOINT_URL: cloud.endpoint,
    AWS_ACCESS_KEY_ID: roles[FUNCTIONS[name].role].accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_EC2_METADATA_DISABLED: 'true',
    // What Lambda sets: Powertools' tracer is on, and the X-Ray SDK sends to this bench's daemon port.
    AWS_LAMBDA_FUNCTION_NAME: `plgate-${name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(FUNCTIONS[name].memoryMb),
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    LAMBDA_TASK_ROOT: dir,
    _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${xrayDaemon.address().port}`,
    [GATE_ENV.rulesTable]: config.rulesTable,
    [GATE_ENV.ledgerTable]: config.ledgerTable,
    [GATE_ENV.decisionsTopicArn]: config.decisionsTopicArn,
    [GATE_ENV.ingestTopicArn]: config.ingestTopicArn,
    [GATE_ENV.gateBusName]: config.gateBusName,
    [GATE_ENV.organizationsLookup]: 'false',
    [GATE_ENV.ledgerRetentionDays]: '400',
    POWERTOOLS_SERVICE_NAME: 'privatelink-gate',
    POWERTOOLS_METRICS_NAMESPACE: 'PrivateLinkGate',
    [SDK_TRACING_ENV]: String(SDK_TRACING),
    BENCH_SERVICE_ID: serviceId,
  });

  /** The gate's calls since the last read: `service:action` -> count, for one caller. */
  const callsOf = async (accessKeyId: string): Promise<Record<string, number>> => {
    const response = await fetch(`${cloud.endpoint}/_plgate/calls?reset=true`);
    const { calls } = (await response.json()) as { calls: CallCount[] };
    const mine: Record<string, number> = {};
    for (const call of calls)
      if (call.caller === accessKeyId) mine[`${call.service}:${call.action}`] = call.count;
    return mine;
  };

  let eventCount = 0;
  const eventFile = (event: unknown): string => {
    const file = join(dir, `event-${eventCount++}.json`);
    writeFileSync(file, JSON.stringify(event));
    return file;
  };
  const take = <T>(list: T[], what: string): T => {
    const item = list.shift();
    if (item === undefined) throw new Error(`no ${what} captured`);
    return item;
  };
  /** The event of one first invocation of each function, made through the path the stack wires. */
  const nextEvent: Record<FunctionName, () => Promise<unknown>> = {
    Ingest: async () => {
      notifications.length = 0;
      await request();
      return take(notifications, 'connection notification');
    },
    // The Connection Event an ingest run put on the gate bus, as the decide queue delivers it.
    Decide: async () => take(decideBatches, 'decide queue batch'),
    Sweep: async () => {
      await request();
      return scheduledEvent(cloud.account, cloud.region);
    },
    RuleChange: async () => {
      streamEvents.length = 0;
      await rules.putItems([
        {
          kind: 'rule',
          id: `bench-${eventCount}`,
          effect: 'reject',
          match: { accounts: ['999999999999'] },
        },
      ]);
      await cloud.idle();
      return take(streamEvents, 'rules-table stream event');
    },
  };

  const bundles: Record<string, { file: string; bytes: number }> = {};
  for (const [name, { entry }] of Object.entries(FUNCTIONS)) {
    const file = join(dir, name, 'index.mjs');
    bundles[name] = { file, bytes: await bundle(join(ROOT, entry), file) };
  }

  // The first sweep enrolls the service (its connection notification to the ingest topic), as `plgate local` does.
  await callsOf('');
  await runChild(
    childFile,
    bundles.Sweep?.file ?? '',
    eventFile(await nextEvent.Sweep()),
    envFor('Sweep'),
    false,
    FUNCTIONS.Sweep.timeoutMs,
  );
  await cloud.idle();
  decideBatches.length = 0;

  const results: Record<string, unknown> = {};
  console.log(
    `## Cold start: module init + first invocation, fresh process, median of ${RUNS}${SDK_TRACING ? ', SDK-level tracing on' : ''}\n`,
  );
  for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
    const { role, clients, timeoutMs } = FUNCTIONS[name];
    const accessKeyId = roles[role].accessKeyId;
    const env = envFor(name);
    const target = bundles[name] ?? { file: '', bytes: 0 };
    const samples: Record<
      'maps' | 'plain',
      { init: number[]; invoke: number[]; floorInit: number[]; floorCalls: number[] }
    > = {
      plain: { init: [], invoke: [], floorInit: [], floorCalls: [] },
      maps: { init: [], invoke: [], floorInit: [], floorCalls: [] },
    };
    let calls: Record<string, number> | undefined;
    let floorFile = '';
    let floorBytes = 0;
    for (let run = 0; run < RUNS; run++) {
      for (const variant of ['plain', 'maps'] as const) {
        // Ingest's runs feed decide's: each leaves one Connection Event in the decide queue.
        await callsOf('');
        const measured = await runChild(
          childFile,
          target.file,
          eventFile(await nextEvent[name]()),
          env,
          variant === 'maps',
          timeoutMs,
        );
        await cloud.idle();
        const made = await callsOf(accessKeyId);
        if (calls === undefined) {
          calls = made;
          floorBytes = await writeFloor(name, clients, calls);
          floorFile = join(dir, `${name}-floor`, 'index.mjs');
        } else if (JSON.stringify(made) !== JSON.stringify(calls)) {
          throw new Error(
            `${name}'s first invocation made other calls than before: ${JSON.stringify(made)} vs ${JSON.stringify(calls)}`,
          );
        }
        const floor = await runChild(childFile, floorFile, eventFile({}), env, variant === 'maps', timeoutMs);
        const floorMade = await callsOf(accessKeyId);
        if (JSON.stringify(floorMade) !== JSON.stringify(calls))
          throw new Error(
            `${name}'s floor made other calls: ${JSON.stringify(floorMade)} vs ${JSON.stringify(calls)}`,
          );
        samples[variant].init.push(measured.initMs);
        samples[variant].invoke.push(measured.firstInvokeMs);
        samples[variant].floorInit.push(floor.initMs);
        samples[variant].floorCalls.push(floor.firstInvokeMs);
        if (run === 0 && variant === 'plain')
          console.log(`${name}: first invocation returned ${JSON.stringify(measured.result).slice(0, 200)}`);
      }
    }
    const summary = (s: (typeof samples)['plain']) => {
      const init = median(s.init);
      const invoke = median(s.invoke);
      const floorInit = median(s.floorInit);
      const floorCalls = median(s.floorCalls);
      return { init, invoke, floorInit, floorCalls, ratio: (init + invoke) / (floorInit + floorCalls) };
    };
    const plain = summary(samples.plain);
    const maps = summary(samples.maps);
    const figures = (m: typeof plain) => ({
      initMs: Math.round(m.init),
      firstInvokeMs: Math.round(m.invoke),
      floorMs: Math.round(m.floorInit + m.floorCalls),
      floorInitMs: Math.round(m.floorInit),
      floorCallsMs: Math.round(m.floorCalls),
      ratio: Number(m.ratio.toFixed(2)),
    });
    results[name] = {
      bundleBytes: target.bytes,
      floorBytes,
      calls,
      ...figures(plain),
      withSourceMaps: figures(maps),
    };
  }
  console.log(
    '\n| function | bundle KiB | floor KiB | init ms | first invoke ms | floor ms (init + calls) | ratio | source maps: init | first invoke | floor | ratio |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, r] of Object.entries(results) as [string, ColdStartRow][]) {
    const m = r.withSourceMaps;
    console.log(
      `| ${name} | ${Math.round(r.bundleBytes / 1024)} | ${Math.round(r.floorBytes / 1024)} | ${r.initMs} | ${r.firstInvokeMs} | ${r.floorMs} (${r.floorInitMs} + ${r.floorCallsMs}) | ${r.ratio.toFixed(2)} | ${m.initMs} | ${m.firstInvokeMs} | ${m.floorMs} (${m.floorInitMs} + ${m.floorCallsMs}) | ${m.ratio.toFixed(2)} |`,
    );
  }
  console.log('\ncalls of each first invocation (what the floor makes too):');
  for (const [name, r] of Object.entries(results) as [string, ColdStartRow][])
    console.log(
      `  ${name}: ${Object.entries(r.calls ?? {})
        .map(([call, count]) => `${call} x${count}`)
        .join(', ')}`,
    );
  recordResults(SDK_TRACING ? { coldStartSdkTracing: results } : { coldStart: results });

  async function writeFloor(
    name: string,
    floorClients: string[],
    made: Record<string, number>,
  ): Promise<number> {
    const lines = [
      `const config = ${JSON.stringify(clientConfig({}, {}))};`,
      'const env = process.env;',
      ...floorClients.map((client) => CLIENT_SOURCE[client] ?? ''),
      'export const handler = async () => {',
    ];
    for (const [call, count] of Object.entries(made)) {
      const source = CALL_SOURCE[call];
      if (source === undefined) throw new Error(`the floor has no ${call} yet: add it to CALL_SOURCE`);
      for (let i = 0; i < count; i++) lines.push(`  ${source}`);
    }
    lines.push('  return true;', '};');
    const entry = join(dir, `${name}-floor.mjs`);
    writeFileSync(entry, `${lines.join('\n')}\n`);
    return bundle(entry, join(dir, `${name}-floor`, 'index.mjs'));
  }
} finally {
  await cloud.stop();
  xrayDaemon.close();
  rmSync(dir, { recursive: true, force: true });
}

interface ColdStartFigures {
  initMs: number;
  firstInvokeMs: number;
  floorMs: number;
  floorInitMs: number;
  floorCallsMs: number;
  ratio: number;
}

interface ColdStartRow extends ColdStartFigures {
  bundleBytes: number;
  floorBytes: number;
  calls?: Record<string, number>;
  withSourceMaps: ColdStartFigures;
}
