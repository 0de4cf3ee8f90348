import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateFunction } from '../../infra/constructs/gate-function.ts';
import {
  FUNCTION_PERMISSIONS,
  GATE_FUNCTIONS,
  type GateFunctionName,
  policyStatementJson,
} from '../../infra/permissions.ts';
import { everyStatement, riskyStatements } from './risky-statements.ts';
import {
  allowedActions,
  asList,
  FULL_CONFIG,
  logicalIdOf,
  registerApiOf,
  render,
  type Statement,
  type SynthesizedGate,
  sharedGate,
} from './synth.ts';

const SERVICE_ARN = 'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:vpc-endpoint-service/*';
const MANAGED_TAG_CONDITION = { StringEquals: { 'aws:ResourceTag/privatelink-gate:managed': 'true' } };
const CONNECTION_ACTIONS = ['ec2:AcceptVpcEndpointConnections', 'ec2:RejectVpcEndpointConnections'];
const ENROLLMENT_ACTIONS = [
  'ec2:CreateVpcEndpointConnectionNotification',
  'ec2:ModifyVpcEndpointConnectionNotification',
  'ec2:ModifyVpcEndpointServiceConfiguration',
];

let plain: SynthesizedGate;
let full: SynthesizedGate;

// Waits for the run's one `cdk synth` when another file started it (test/support/synth-cache.ts).
beforeAll(() => {
  plain = sharedGate({});
  full = sharedGate(FULL_CONFIG);
}, 600_000);
afterAll(() => {
  plain?.dispose();
  full?.dispose();
});

const statementsOf = (gate: SynthesizedGate, fn: GateFunction): Statement[] => {
  const roleId = logicalIdOf(fn.role);
  return Object.values(gate.json.Resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((policy) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((policy) => {
      const document = policy.Properties?.PolicyDocument;
      return typeof document === 'object' &&
        document !== null &&
        'Statement' in document &&
        Array.isArray(document.Statement)
        ? document.Statement
        : [];
    });
};

/** Statements granting any of these actions, as "actions @ resource if condition". */
const grantsOf = (statements: Statement[], actions: string[]): string[] =>
  statements
    .filter((statement) => asList(statement.Action).some((action) => actions.includes(action)))
    .map(
      (statement) =>
        `${asList(statement.Action).sort().join('+')} @ ${render(statement.Resource)}${
          statement.Condition === undefined ? '' : ` if ${JSON.stringify(statement.Condition)}`
        }`,
    );

describe('the least-privilege walk over every policy statement', () => {
  it('finds no Action "*" and no mutating EC2 action on "*" without a condition (default and full config)', () => {
    for (const gate of [plain, full]) {
      const statements = everyStatement(gate.json);
      // Prove the walk saw the policies it must judge before trusting its silence.
      expect(statements.length).toBeGreaterThan(40);
      expect(
        statements.some(({ statement }) =>
          asList(statement.Action).includes('ec2:AcceptVpcEndpointConnections'),
        ),
      ).toBe(true);
      expect(riskyStatements(statements)).toEqual([]);
    }
  });

  it('flags the grants it exists to catch', () => {
    const bad = (statement: Statement) => riskyStatements([{ where: 'Fixture', statement }]);
    expect(bad({ Effect: 'Allow', Action: '*', Resource: '*' })).toHaveLength(1);
    expect(
      bad({ Effect: 'Allow', Action: ['ec2:AcceptVpcEndpointConnections'], Resource: '*' }),
    ).toHaveLength(1);
    expect(bad({ Effect: 'Allow', Action: 'ec2:*', Resource: ['*'] })).toHaveLength(1);
    expect(bad({ Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' })).toHaveLength(1);
    expect(
      bad({ Effect: 'Allow', Action: 'ec2:CreateTags', NotResource: 'arn:aws:ec2:*:*:instance/*' }),
    ).toHaveLength(1);
    expect(bad({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })).toHaveLength(1);
    expect(
      bad({
        Effect: 'Allow',
        Action: 'ec2:ModifyVpcEndpointServiceConfiguration',
        Resource: '*',
        Condition: {},
      }),
    ).toHaveLength(1);
    // What the gate legitimately does passes.
    expect(bad({ Effect: 'Allow', Action: 'ec2:DescribeVpcEndpointConnections', Resource: '*' })).toEqual([]);
    expect(
      bad({
        Effect: 'Allow',
        Action: CONNECTION_ACTIONS,
        Resource: SERVICE_ARN,
        Condition: MANAGED_TAG_CONDITION,
      }),
    ).toEqual([]);
    expect(bad({ Effect: 'Deny', Action: '*', Resource: '*' })).toEqual([]);
  });
});

describe('decide', () => {
  it('may describe connections and services, and accept/reject only on tagged services of this account', () => {
    const statements = statementsOf(plain, plain.stack.gate.decide);
    expect(allowedActions(statements, 'ec2:')).toEqual([
      'ec2:AcceptVpcEndpointConnections',
      'ec2:DescribeVpcEndpointConnections',
      'ec2:DescribeVpcEndpointServiceConfigurations',
      'ec2:RejectVpcEndpointConnections',
    ]);
    // Only the service: the consumer's endpoint is no resource of these actions, and a grant
    // on every account's endpoints only widened the policy (issue 10).
    expect(grantsOf(statements, CONNECTION_ACTIONS)).toEqual([
      `${CONNECTION_ACTIONS.join('+')} @ ${SERVICE_ARN} if ${JSON.stringify(MANAGED_TAG_CONDITION)}`,
    ]);
    expect(grantsOf(statements, ['ec2:DescribeVpcEndpointConnections'])).toEqual([
      'ec2:DescribeVpcEndpointConnections+ec2:DescribeVpcEndpointServiceConfigurations @ *',
    ]);
  });

  it('reads rules, reads and writes the ledger, publishes decisions, puts events, and nothing else', () => {
    const statements = statementsOf(plain, plain.stack.gate.decide);
    const rulesId = logicalIdOf(plain.stack.gate.tables.rules);
    const ledgerId = logicalIdOf(plain.stack.gate.tables.ledger);
    const onRules = statements.filter((statement) => render(statement.Resource).includes(`<${rulesId}.Arn>`));
    expect(onRules.flatMap((statement) => asList(statement.Action))).not.toContain('dynamodb:PutItem');
    expect(onRules.flatMap((statement) => asList(statement.Action))).toContain('dynamodb:Query');
    const onLedger = statements.filter((statement) =>
      render(statement.Resource).includes(`<${ledgerId}.Arn>`),
    );
    expect(onLedger.flatMap((statement) => asList(statement.Action))).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']),
    );
    expect(allowedActions(statements, 'sns:')).toEqual(['sns:Publish']);
    expect(grantsOf(statements, ['sns:Publish'])).toEqual([
      `sns:Publish @ <${logicalIdOf(plain.stack.gate.notifications.decisionsTopic)}>`,
    ]);
    expect(grantsOf(statements, ['events:PutEvents'])).toEqual([
      `events:PutEvents @ <${logicalIdOf(plain.stack.gate.bus)}.Arn>`,
    ]);
    const services = new Set(
      statements.flatMap((statement) => asList(statement.Action)).map((action) => action.split(':')[0]),
    );
    expect([...services].sort()).toEqual(['dynamodb', 'ec2', 'events', 'kms', 'logs', 'sns', 'sqs', 'xray']);
  });

  it('reads AWS Organizations only when organizationsLookup is on', () => {
    expect(allowedActions(statementsOf(plain, plain.stack.gate.decide), 'organizations:')).toEqual([]);
    expect(allowedActions(statementsOf(plain, plain.stack.gate.sweep), 'organizations:')).toEqual([]);
    const expected = [
      'organizations:DescribeAccount',
      'organizations:DescribeOrganization',
      'organizations:ListParents',
    ];
    expect(allowedActions(statementsOf(full, full.stack.gate.decide), 'organizations:')).toEqual(expected);
    expect(allowedActions(statementsOf(full, full.stack.gate.sweep), 'organizations:')).toEqual(expected);
    expect(allowedActions(statementsOf(full, full.stack.gate.ingest), 'organizations:')).toEqual([]);
    expect(allowedActions(statementsOf(full, full.stack.gate.ruleChange), 'organizations:')).toEqual([]);
  });
});

describe('sweep', () => {
  it('has what decide has plus enrollment, scoped by the managed tag', () => {
    const statements = statementsOf(plain, plain.stack.gate.sweep);
    expect(allowedActions(statements, 'ec2:')).toEqual(
      [
        ...CONNECTION_ACTIONS,
        ...ENROLLMENT_ACTIONS,
        'ec2:DescribeVpcEndpointConnectionNotifications',
        'ec2:DescribeVpcEndpointConnections',
        'ec2:DescribeVpcEndpointServiceConfigurations',
      ].sort(),
    );
    expect(grantsOf(statements, ENROLLMENT_ACTIONS)).toEqual([
      `${ENROLLMENT_ACTIONS.join('+')} @ ${SERVICE_ARN} if ${JSON.stringify(MANAGED_TAG_CONDITION)}`,
    ]);
    expect(grantsOf(statements, ['ec2:DescribeVpcEndpointConnectionNotifications'])).toEqual([
      'ec2:DescribeVpcEndpointConnectionNotifications @ *',
    ]);
    // Continuations go to its own bus.
    expect(grantsOf(statements, ['events:PutEvents'])).toEqual([
      `events:PutEvents @ <${logicalIdOf(plain.stack.gate.bus)}.Arn>`,
    ]);
  });
});

describe('ingest', () => {
  it('re-reads connections, enrolls tagged services, reads the rules version, records and notifies manual actions; it never accepts or rejects', () => {
    const statements = statementsOf(plain, plain.stack.gate.ingest);
    expect(allowedActions(statements, 'ec2:')).toEqual(
      [
        ...ENROLLMENT_ACTIONS,
        'ec2:DescribeVpcEndpointConnectionNotifications',
        // A human's accept or reject is recorded from what EC2 says now (issue 10: this was missing).
        'ec2:DescribeVpcEndpointConnections',
        'ec2:DescribeVpcEndpointServiceConfigurations',
      ].sort(),
    );
    expect(grantsOf(statements, ENROLLMENT_ACTIONS)).toEqual([
      `${ENROLLMENT_ACTIONS.join('+')} @ ${SERVICE_ARN} if ${JSON.stringify(MANAGED_TAG_CONDITION)}`,
    ]);
    const rulesId = logicalIdOf(plain.stack.gate.tables.rules);
    const onRules = statements
      .filter((statement) => render(statement.Resource).includes(`<${rulesId}.Arn>`))
      .flatMap((statement) => asList(statement.Action));
    // The rules version goes on the ledger entry: read, never write.
    expect(onRules).toContain('dynamodb:GetItem');
    expect(onRules).not.toContain('dynamodb:PutItem');
    expect(onRules).not.toContain('dynamodb:UpdateItem');
    expect(allowedActions(statements, 'dynamodb:')).toContain('dynamodb:PutItem');
    // The notice of a manual action goes to the KMS-encrypted decisions topic.
    expect(grantsOf(statements, ['sns:Publish'])).toEqual([
      `sns:Publish @ <${logicalIdOf(plain.stack.gate.notifications.decisionsTopic)}>`,
    ]);
    expect(grantsOf(statements, ['kms:GenerateDataKey*'])).toEqual([
      `kms:Decrypt+kms:GenerateDataKey* @ <${logicalIdOf(plain.stack.gate.notifications.key)}.Arn>`,
    ]);
    expect(allowedActions(statements, 'events:')).toEqual(['events:PutEvents']);
  });
});

describe('rule-change', () => {
  it('reads the stream, reads and writes rules, writes the ledger, publishes and puts events; no EC2', () => {
    const statements = statementsOf(plain, plain.stack.gate.ruleChange);
    expect(allowedActions(statements, 'ec2:')).toEqual([]);
    const rulesId = logicalIdOf(plain.stack.gate.tables.rules);
    const onRules = statements
      .filter((statement) => render(statement.Resource).includes(`<${rulesId}.`))
      .flatMap((statement) => asList(statement.Action));
    expect(onRules).toEqual(
      expect.arrayContaining([
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
      ]),
    );
    expect(allowedActions(statements, 'dynamodb:')).toContain('dynamodb:DescribeStream');
    expect(allowedActions(statements, 'sns:')).toEqual(['sns:Publish']);
    expect(allowedActions(statements, 'events:')).toEqual(['events:PutEvents']);
  });
});

describe('every function', () => {
  it('writes only to its own log group, has no managed policies, and sends failures only to its own DLQ', () => {
    for (const fn of [
      plain.stack.gate.ingest,
      plain.stack.gate.decide,
      plain.stack.gate.sweep,
      plain.stack.gate.ruleChange,
    ]) {
      // Decide is fed by the decide queue: SQS moves what it cannot take to the DLQ (redrive), not decide.
      const ownDeadLetters =
        fn === plain.stack.gate.decide ? [] : [`<${logicalIdOf(fn.deadLetterQueue)}.Arn>`];
      const role = plain.json.Resources[logicalIdOf(fn.role)];
      expect(role?.Properties?.ManagedPolicyArns).toBeUndefined();
      const statements = statementsOf(plain, fn);
      expect(grantsOf(statements, ['logs:PutLogEvents'])).toEqual([
        `logs:CreateLogStream+logs:PutLogEvents @ <${logicalIdOf(fn.logGroup)}.Arn>`,
      ]);
      const sqsTargets = statements
        .filter((statement) => asList(statement.Action).includes('sqs:SendMessage'))
        .map((statement) => render(statement.Resource));
      expect(sqsTargets).toEqual(ownDeadLetters);
    }
  });
});

describe('every function role is what infra/permissions.ts states, and Lambda plumbing', () => {
  // What Lambda itself does with a role, granted by the constructs that set it up: logs, traces,
  // the dead-letter queue, and the event source mappings reading the rules stream and decide's queue.
  const PLUMBING =
    /^(logs:(CreateLogStream|PutLogEvents)|xray:Put(TraceSegments|TelemetryRecords)|sqs:(SendMessage|GetQueueAttributes|GetQueueUrl|ReceiveMessage|ChangeMessageVisibility|DeleteMessage)|dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams))$/;

  const functionsOf = (gate: SynthesizedGate): Record<GateFunctionName, GateFunction> => ({
    ingest: gate.stack.gate.ingest,
    decide: gate.stack.gate.decide,
    sweep: gate.stack.gate.sweep,
    ruleChange: gate.stack.gate.ruleChange,
    operator: gate.stack.gate.operator,
    register: registerApiOf(gate.stack).function,
  });
  /** A statement in one comparable shape: lists for Action and Resource, rendered references. */
  const canonical = (statement: Statement) => ({
    sid: statement.Sid,
    actions: asList(statement.Action).sort(),
    resources: asList(statement.Resource as string | string[])
      .map(render)
      .sort(),
    condition: statement.Condition === undefined ? undefined : JSON.stringify(statement.Condition),
  });

  it.each(GATE_FUNCTIONS)(
    '%s: its statements, exactly; anything else is plumbing (default and full config)',
    (name) => {
      for (const [gate, options] of [
        [plain, { organizationsLookup: false }],
        [full, { organizationsLookup: true }],
      ] as const) {
        const expected = FUNCTION_PERMISSIONS[name](gate.stack.gateResources(), options).map((statement) =>
          canonical(gate.stack.resolve(policyStatementJson(statement)) as Statement),
        );
        const template = statementsOf(gate, functionsOf(gate)[name]);
        const stated = template.filter((statement) => statement.Sid !== undefined).map(canonical);
        expect(stated).toEqual(expected);
        const rest = template.filter((statement) => statement.Sid === undefined);
        expect(rest.every((statement) => statement.Effect === 'Allow')).toBe(true);
        expect(
          rest.flatMap((statement) => asList(statement.Action)).filter((a) => !PLUMBING.test(a)),
        ).toEqual([]);
      }
    },
  );
});
