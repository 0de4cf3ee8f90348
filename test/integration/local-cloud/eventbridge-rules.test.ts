/**
 * EventBridge rules as a template makes them, served on their own: buses and rules created
 * through the resource providers, the API answered to the real SDK and the AWS CLI, events
 * routed to fake Lambda and SQS targets, retried and dead-lettered, forwarded to another
 * account's bus as its policy allows, and schedules fired by moving the clock.
 */
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MovableClock } from '../../../local/clock.ts';
import { Deliveries, Timers } from '../../../local/deliveries.ts';
import { EventsService } from '../../../local/events/service.ts';
import { Authorizer } from '../../../local/iam/authorizer.ts';
import type { ResourceProvider } from '../../../local/service.ts';
import { awsCliVersion, runAws } from '../../support/aws-cli.ts';
import {
  RecordingInvoker,
  RecordingQueues,
  resourceRequest,
  settled,
  testStack,
} from '../../support/service-fakes.ts';
import { type ServiceServer, startServiceServer } from '../../support/service-server.ts';

const PROVIDER = '000000000000';
const SPOKE = '444455556666';
const REGION = 'us-east-1';
const stack = testStack(PROVIDER, REGION);
const FUNCTION = `arn:aws:lambda:${REGION}:${PROVIDER}:function:decide`;
const QUEUE = `arn:aws:sqs:${REGION}:${PROVIDER}:decide-queue`;
const DLQ = `arn:aws:sqs:${REGION}:${PROVIDER}:decide-dlq`;

describe('EventBridge rules from a template', () => {
  let clock: MovableClock;
  let deliveries: Deliveries;
  let timers: Timers;
  let invoker: RecordingInvoker;
  let queues: RecordingQueues;
  let service: EventsService;
  let server: ServiceServer;
  const log: string[] = [];

  const provider = (type: string): ResourceProvider => {
    const found = service.resources.find((resource) => resource.type === type);
    if (found === undefined) throw new Error(`no provider for ${type}`);
    return found;
  };
  const client = (accessKeyId = 'test') =>
    new EventBridgeClient({
      endpoint: server.endpoint,
      region: REGION,
      credentials: { accessKeyId, secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  const idle = () => settled(deliveries, timers);

  beforeEach(async () => {
    clock = new MovableClock();
    const line = (text: string) => log.push(text);
    deliveries = new Deliveries({ retries: 0, retryDelayMs: 1, log: line });
    timers = new Timers(line, clock);
    clock.onAdvance(() => timers.fireDue());
    invoker = new RecordingInvoker();
    queues = new RecordingQueues();
    service = new EventsService({
      account: PROVIDER,
      region: REGION,
      deliveries,
      timers,
      clock,
      log: line,
      authorizer: new Authorizer(line),
      functions: () => invoker,
      queues: () => queues,
    });
    server = await startServiceServer(service, PROVIDER);
  });

  afterEach(async () => {
    await service.stop();
    await server.close();
    timers.close();
    await deliveries.close();
  });

  async function gateBusAndRule(extra: Record<string, unknown> = {}) {
    const bus = await provider('AWS::Events::EventBus').create(
      resourceRequest(stack, 'GateBus', { Name: 'gate-bus' }),
    );
    const rule = await provider('AWS::Events::Rule').create(
      resourceRequest(stack, 'ConnectionEvents', {
        EventBusName: bus.physicalId,
        Description: 'Connection Event -> decide',
        EventPattern: { source: ['privatelink-gate'], 'detail-type': ['Connection Event'] },
        Targets: [
          {
            Id: 'Target0',
            Arn: FUNCTION,
            RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
            DeadLetterConfig: { Arn: DLQ },
          },
          {
            Id: 'Target1',
            Arn: QUEUE,
            InputTransformer: {
              InputPathsMap: { service: '$.detail.serviceId' },
              InputTemplate: '{"service": <service>, "note": "for <service>"}',
            },
          },
        ],
        ...extra,
      }),
    );
    return { bus, rule };
  }

  it('answers Ref and Arn as CloudFormation does, and lists, describes and lists targets to the SDK', async () => {
    // Prepare
    const { bus, rule } = await gateBusAndRule();
    // Assess: Ref of a bus is its name, of a rule on a custom bus BUS|NAME.
    expect(bus).toEqual({
      physicalId: 'gate-bus',
      attributes: { Arn: `arn:aws:events:${REGION}:${PROVIDER}:event-bus/gate-bus`, Name: 'gate-bus' },
    });
    expect(rule.physicalId).toBe('gate-bus|TestStack-ConnectionEvents-ABCDEFGHIJKL');
    expect(rule.attributes.Arn).toBe(
      `arn:aws:events:${REGION}:${PROVIDER}:rule/gate-bus/TestStack-ConnectionEvents-ABCDEFGHIJKL`,
    );
    // Act
    const listed = await client().send(
      new ListRulesCommand({ EventBusName: 'gate-bus', NamePrefix: 'TestStack-' }),
    );
    const described = await client().send(
      new DescribeRuleCommand({ Name: 'TestStack-ConnectionEvents-ABCDEFGHIJKL', EventBusName: 'gate-bus' }),
    );
    const targets = await client().send(
      new ListTargetsByRuleCommand({
        Rule: 'TestStack-ConnectionEvents-ABCDEFGHIJKL',
        EventBusName: 'gate-bus',
      }),
    );
    const onDefault = await client().send(new ListRulesCommand({}));
    // Assess
    expect(listed.Rules?.map((r) => [r.Name, r.State, r.EventBusName])).toEqual([
      ['TestStack-ConnectionEvents-ABCDEFGHIJKL', 'ENABLED', 'gate-bus'],
    ]);
    expect(JSON.parse(described.EventPattern ?? '')).toEqual({
      source: ['privatelink-gate'],
      'detail-type': ['Connection Event'],
    });
    expect(described.Arn).toBe(rule.attributes.Arn);
    expect(targets.Targets?.[0]).toMatchObject({
      Id: 'Target0',
      Arn: FUNCTION,
      RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
      DeadLetterConfig: { Arn: DLQ },
    });
    expect(targets.Targets?.[1]?.RetryPolicy).toEqual({
      MaximumRetryAttempts: 185,
      MaximumEventAgeInSeconds: 86400,
    });
    expect(onDefault.Rules).toEqual([]);
  });

  it('refuses an unknown rule and a stranger, in EventBridge error shapes', async () => {
    await gateBusAndRule();
    await expect(
      client().send(new DescribeRuleCommand({ Name: 'nope', EventBusName: 'gate-bus' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(
      client(SPOKE).send(
        new DescribeRuleCommand({
          Name: 'TestStack-ConnectionEvents-ABCDEFGHIJKL',
          EventBusName: `arn:aws:events:${REGION}:${PROVIDER}:event-bus/gate-bus`,
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('delivers a matching event to a Lambda as events.amazonaws.com and to a queue through the input transformer', async () => {
    // Prepare
    const { rule } = await gateBusAndRule();
    // Act
    const put = await client().send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'gate-bus',
            Source: 'privatelink-gate',
            DetailType: 'Connection Event',
            Detail: JSON.stringify({ serviceId: 'vpce-svc-0123456789abcdef0' }),
          },
          { EventBusName: 'gate-bus', Source: 'privatelink-gate', DetailType: 'Other', Detail: '{}' },
        ],
      }),
    );
    await idle();
    // Assess
    expect(put.FailedEntryCount).toBe(0);
    expect(invoker.calls).toHaveLength(1);
    expect(invoker.calls[0]).toMatchObject({
      mode: 'async',
      functionArn: FUNCTION,
      event: {
        version: '0',
        id: put.Entries?.[0]?.EventId,
        source: 'privatelink-gate',
        'detail-type': 'Connection Event',
        account: PROVIDER,
        region: REGION,
        detail: { serviceId: 'vpce-svc-0123456789abcdef0' },
      },
      source: {
        kind: 'service',
        principal: 'events.amazonaws.com',
        sourceArn: rule.attributes.Arn,
        sourceAccount: PROVIDER,
      },
    });
    expect(queues.messages.map((m) => [m.queueArn, JSON.parse(m.body)])).toEqual([
      [QUEUE, { service: 'vpce-svc-0123456789abcdef0', note: 'for vpce-svc-0123456789abcdef0' }],
    ]);
  });

  it('sends a refused invoke to the dead-letter queue at once, with EventBridge attributes', async () => {
    // Prepare
    const { rule } = await gateBusAndRule();
    invoker.denied.add(FUNCTION);
    // Act
    await client().send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'gate-bus',
            Source: 'privatelink-gate',
            DetailType: 'Connection Event',
            Detail: '{}',
          },
        ],
      }),
    );
    await idle();
    // Assess
    const dead = queues.messages.filter((m) => m.queueArn === DLQ);
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]?.body ?? '')).toMatchObject({ 'detail-type': 'Connection Event' });
    expect(dead[0]?.attributes).toMatchObject({
      RULE_ARN: rule.attributes.Arn,
      TARGET_ARN: FUNCTION,
      ERROR_CODE: 'NO_PERMISSIONS',
      RETRY_ATTEMPTS: '0',
    });
  });

  it('retries a failing queue per the retry policy, then dead-letters it', async () => {
    // Prepare
    await provider('AWS::Events::Rule').create(
      resourceRequest(stack, 'Flaky', {
        Name: 'flaky',
        EventPattern: { source: ['app'] },
        Targets: [
          {
            Id: 'q',
            Arn: QUEUE,
            RetryPolicy: { MaximumRetryAttempts: 2 },
            DeadLetterConfig: { Arn: DLQ },
          },
        ],
      }),
    );
    queues.failures = 2;
    // Act: two failures, then the third attempt lands.
    await client().send(
      new PutEventsCommand({ Entries: [{ Source: 'app', DetailType: 'x', Detail: '{}' }] }),
    );
    await idle();
    // Assess
    expect(queues.messages.map((m) => m.queueArn)).toEqual([QUEUE]);
    // Act: three failures exhaust two retries.
    queues.failures = 3;
    await client().send(
      new PutEventsCommand({ Entries: [{ Source: 'app', DetailType: 'x', Detail: '{}' }] }),
    );
    await idle();
    // Assess
    const dead = queues.messages.filter((m) => m.queueArn === DLQ);
    expect(dead.map((m) => m.attributes?.EXHAUSTED_RETRY_CONDITION)).toEqual(['MaximumRetryAttempts']);
    expect(dead[0]?.attributes?.RETRY_ATTEMPTS).toBe('2');
  });

  it('does not route to a disabled rule, and updates a rule in place', async () => {
    // Prepare
    const { rule } = await gateBusAndRule({ State: 'DISABLED' });
    // Act
    await client().send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'gate-bus',
            Source: 'privatelink-gate',
            DetailType: 'Connection Event',
            Detail: '{}',
          },
        ],
      }),
    );
    await idle();
    // Assess
    expect(invoker.calls).toEqual([]);
    // Act: enable it, with one target.
    const updated = await provider('AWS::Events::Rule').update?.({
      ...resourceRequest(stack, 'ConnectionEvents', {
        EventBusName: 'gate-bus',
        EventPattern: { source: ['privatelink-gate'] },
        Targets: [{ Id: 'Target0', Arn: FUNCTION }],
      }),
      physicalId: rule.physicalId,
      previous: {},
    });
    await client().send(
      new PutEventsCommand({
        Entries: [{ EventBusName: 'gate-bus', Source: 'privatelink-gate', DetailType: 'Any', Detail: '{}' }],
      }),
    );
    await idle();
    // Assess
    expect(updated).toEqual(rule);
    expect(invoker.calls.map((c) => c.functionArn)).toEqual([FUNCTION]);
  });

  it('fires a rate schedule when the clock moves, with the Scheduled Event shape', async () => {
    // Prepare
    const created = await provider('AWS::Events::Rule').create(
      resourceRequest(stack, 'SweepSchedule', {
        ScheduleExpression: 'rate(5 minutes)',
        Targets: [{ Id: 'Target0', Arn: FUNCTION }],
      }),
    );
    // Act
    clock.advance(4 * 60_000);
    await idle();
    const early = invoker.calls.length;
    clock.advance(60_000);
    await idle();
    clock.advance(5 * 60_000);
    await idle();
    // Assess: Ref of a rule on the default bus is its name.
    expect(created.physicalId).toBe('TestStack-SweepSchedule-ABCDEFGHIJKL');
    expect(early).toBe(0);
    expect(invoker.calls).toHaveLength(2);
    expect(invoker.calls[0]?.event).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: PROVIDER,
      region: REGION,
      resources: [created.attributes.Arn],
      detail: {},
    });
    // Act: deleting the rule stops its schedule.
    await provider('AWS::Events::Rule').delete({
      ...resourceRequest(stack, 'SweepSchedule', {}),
      physicalId: created.physicalId,
    });
    clock.advance(10 * 60_000);
    await idle();
    expect(invoker.calls).toHaveLength(2);
  });

  it('refuses a schedule on a custom bus and a bad pattern, naming the field', async () => {
    await provider('AWS::Events::EventBus').create(resourceRequest(stack, 'Bus', { Name: 'custom' }));
    await expect(
      provider('AWS::Events::Rule').create(
        resourceRequest(stack, 'R', { EventBusName: 'custom', ScheduleExpression: 'rate(1 hour)' }),
      ),
    ).rejects.toThrow('ScheduleExpression: "rate(1 hour)" is supported only on the default event bus');
    await expect(
      provider('AWS::Events::Rule').create(resourceRequest(stack, 'R', { EventPattern: { source: 'x' } })),
    ).rejects.toThrow('EventPattern: Event pattern is not valid. Reason: $.source');
    await expect(
      provider('AWS::Events::Rule').create(
        resourceRequest(stack, 'R', { EventPattern: { source: ['x'] }, EventBusName: 'nope' }),
      ),
    ).rejects.toThrow('event bus nope does not exist');
  });

  it('forwards to another account’s bus only as its policy allows, and one hop only', async () => {
    // Prepare: the hub's bus admits the spoke's account; a rule on the hub bus sends on again.
    const hubStack = testStack(PROVIDER, REGION, 'Hub');
    const spokeStack = testStack(SPOKE, 'eu-west-1', 'Spoke');
    await provider('AWS::Events::EventBus').create(
      resourceRequest(hubStack, 'HubBus', {
        Name: 'hub',
        Policy: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${SPOKE}:root` },
              Action: 'events:PutEvents',
              Resource: `arn:aws:events:${REGION}:${PROVIDER}:event-bus/hub`,
            },
          ],
        },
      }),
    );
    await provider('AWS::Events::Rule').create(
      resourceRequest(hubStack, 'OnHub', {
        Name: 'on-hub',
        EventBusName: 'hub',
        EventPattern: { source: ['aws.ec2'] },
        Targets: [
          { Id: 'fn', Arn: FUNCTION },
          { Id: 'again', Arn: `arn:aws:events:${REGION}:${PROVIDER}:event-bus/default` },
        ],
      }),
    );
    await provider('AWS::Events::Rule').create(
      resourceRequest(spokeStack, 'Forward', {
        Name: 'forward',
        EventPattern: { source: ['aws.ec2'] },
        Targets: [
          { Id: 'hub', Arn: `arn:aws:events:${REGION}:${PROVIDER}:event-bus/hub` },
          { Id: 'closed', Arn: `arn:aws:events:${REGION}:${PROVIDER}:event-bus/default` },
        ],
      }),
    );
    // Act: an AWS service's event on the spoke's default bus.
    service.buses.deliver('default', {
      version: '0',
      id: 'e-1',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.ec2',
      account: SPOKE,
      time: '2026-01-01T00:00:00Z',
      region: 'eu-west-1',
      resources: [],
      detail: {},
    });
    await idle();
    // Assess: it reached the hub's function, with the spoke's account and region kept.
    expect(invoker.calls.map((c) => [c.functionArn, (c.event as { account: string }).account])).toEqual([
      [FUNCTION, SPOKE],
    ]);
    expect(log.some((line) => line.includes('forwarded one hop only'))).toBe(true);
    expect(
      log.some((line) => line.includes('not delivered (NO_PERMISSIONS)') && line.includes('closed')),
    ).toBe(true);
  });

  it('lets another account put events on a bus whose policy admits it, and no other', async () => {
    // Prepare
    await provider('AWS::Events::EventBus').create(
      resourceRequest(stack, 'HubBus', {
        Name: 'hub',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: SPOKE },
              Action: 'events:PutEvents',
              Resource: `arn:aws:events:${REGION}:${PROVIDER}:event-bus/hub`,
            },
          ],
        }),
      }),
    );
    await provider('AWS::Events::Rule').create(
      resourceRequest(stack, 'OnHub', {
        Name: 'on-hub',
        EventBusName: 'hub',
        EventPattern: { source: ['spoke.app'] },
        Targets: [{ Id: 'fn', Arn: FUNCTION }],
      }),
    );
    const entry = (bus: string) => ({
      EventBusName: `arn:aws:events:${REGION}:${PROVIDER}:event-bus/${bus}`,
      Source: 'spoke.app',
      DetailType: 'Hello',
      Detail: '{}',
    });
    // Act
    const admitted = await client(SPOKE).send(new PutEventsCommand({ Entries: [entry('hub')] }));
    await idle();
    // Assess
    expect(admitted.FailedEntryCount).toBe(0);
    expect(invoker.calls.map((c) => (c.event as { account: string }).account)).toEqual([SPOKE]);
    await expect(
      client(SPOKE).send(new PutEventsCommand({ Entries: [entry('default')] })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('refuses a snapshot it cannot read, naming the field', () => {
    expect(() => service.restore({ buses: [], rules: [{ name: 'x' }] })).toThrow('rules.0.account');
  });

  it('keeps buses, policies and rules in its snapshot, and arms schedules again on restore', async () => {
    // Prepare
    await gateBusAndRule();
    await provider('AWS::Events::Rule').create(
      resourceRequest(stack, 'Sweep', {
        ScheduleExpression: 'rate(1 minute)',
        Targets: [{ Id: 't', Arn: FUNCTION }],
      }),
    );
    const snapshot = JSON.parse(JSON.stringify(service.snapshot()));
    await service.stop();
    // Act
    const restored = new EventsService({
      account: PROVIDER,
      region: REGION,
      deliveries,
      timers,
      clock,
      log: () => {},
      authorizer: new Authorizer(() => {}),
      functions: () => invoker,
      queues: () => queues,
    });
    restored.restore(snapshot);
    clock.advance(60_000);
    await idle();
    // Assess
    expect(restored.rules.list(PROVIDER, REGION, 'gate-bus').map((r) => r.name)).toEqual([
      'TestStack-ConnectionEvents-ABCDEFGHIJKL',
    ]);
    expect(restored.buses.busNames(PROVIDER, 'us-east-1')).toEqual(['default', 'gate-bus']);
    expect(invoker.calls.map((c) => (c.event as { 'detail-type': string })['detail-type'])).toEqual([
      'Scheduled Event',
    ]);
    await restored.stop();
  });

  it('fires every schedule at the override interval when one is set', async () => {
    // Prepare
    await service.stop();
    service = new EventsService({
      account: PROVIDER,
      region: REGION,
      deliveries,
      timers,
      clock,
      log: () => {},
      authorizer: new Authorizer(() => {}),
      functions: () => invoker,
      queues: () => queues,
      scheduleIntervalOverrideMs: 1000,
    });
    await provider('AWS::Events::Rule').create(
      resourceRequest(stack, 'Daily', {
        ScheduleExpression: 'cron(0 3 * * ? *)',
        Targets: [{ Id: 't', Arn: FUNCTION }],
      }),
    );
    // Act
    clock.advance(1000);
    await idle();
    // Assess
    expect(invoker.calls).toHaveLength(1);
  });

  describe.runIf(awsCliVersion() !== undefined)('with the AWS CLI', () => {
    it('lists rules, describes one and lists its targets', async () => {
      // Prepare
      await gateBusAndRule();
      const target = { endpoint: server.endpoint, accessKeyId: 'test', region: REGION };
      const name = 'TestStack-ConnectionEvents-ABCDEFGHIJKL';
      // Act
      const rules = (await runAws(target, ['events', 'list-rules', '--event-bus-name', 'gate-bus'])) as {
        Rules: Array<{ Name: string; Arn: string }>;
      };
      const rule = (await runAws(target, [
        'events',
        'describe-rule',
        '--name',
        name,
        '--event-bus-name',
        'gate-bus',
      ])) as { Name: string; EventBusName: string; State: string };
      const targets = (await runAws(target, [
        'events',
        'list-targets-by-rule',
        '--rule',
        name,
        '--event-bus-name',
        'gate-bus',
      ])) as { Targets: Array<{ Id: string; Arn: string }> };
      // Assess
      expect(rules.Rules.map((r) => r.Name)).toEqual([name]);
      expect(rule).toMatchObject({ Name: name, EventBusName: 'gate-bus', State: 'ENABLED' });
      expect(targets.Targets.map((t) => [t.Id, t.Arn])).toEqual([
        ['Target0', FUNCTION],
        ['Target1', QUEUE],
      ]);
    });
  });
});
