import { describe, expect, it } from 'vitest';
import { DeployError, Deployer, generatedName } from '../../../../local/cloudformation/deployer.ts';
import { Stacks } from '../../../../local/cloudformation/stacks.ts';
import { parseTemplate } from '../../../../local/cloudformation/template.ts';
import type { ResourceProvider } from '../../../../local/service.ts';

/** A provider of `Test::Thing` that records what it was asked, with a name or a generated one. */
function things(options: { failOn?: string } = {}) {
  const calls: string[] = [];
  const live = new Map<string, Record<string, unknown>>();
  const provider: ResourceProvider = {
    type: 'Test::Thing',
    create: async (request) => {
      if (request.logicalId === options.failOn) throw new Error(`cannot make ${request.logicalId}`);
      const name =
        typeof request.properties.Name === 'string' ? request.properties.Name : request.generatedName(40);
      calls.push(`create ${request.logicalId} ${name}`);
      live.set(name, request.properties);
      return { physicalId: name, attributes: { Arn: `arn:test:${name}` } };
    },
    update: async (request) => {
      if (request.properties.Name !== request.previous.Name) return 'replace';
      calls.push(`update ${request.logicalId}`);
      live.set(request.physicalId, request.properties);
      return { physicalId: request.physicalId, attributes: { Arn: `arn:test:${request.physicalId}` } };
    },
    delete: async (request) => {
      calls.push(`delete ${request.logicalId} ${request.physicalId}`);
      live.delete(request.physicalId);
    },
  };
  return { provider, calls, live };
}

const BOOTSTRAP = {
  Parameters: {
    BootstrapVersion: {
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: '/cdk-bootstrap/hnb659fds/version',
    },
  },
  Rules: {
    CheckBootstrapVersion: {
      Assertions: [
        {
          Assert: {
            'Fn::Not': [{ 'Fn::Contains': [['1', '2', '3', '4', '5'], { Ref: 'BootstrapVersion' }] }],
          },
          AssertDescription: 'CDK bootstrap stack version 6 required.',
        },
      ],
    },
  },
};

const template = (resources: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  parseTemplate({ ...BOOTSTRAP, Resources: resources, ...extra }, 'test');

function deployer(provider: ResourceProvider) {
  const stacks = new Stacks();
  return {
    stacks,
    deployer: new Deployer({ providers: new Map([[provider.type, provider]]), stacks }),
  };
}

const at = { stackName: 'Gate', account: '111111111111', region: 'eu-west-1' };

describe('the deployer', () => {
  it('creates resources after what they refer to and resolves the outputs', async () => {
    const { provider, calls } = things();
    const { deployer: d } = deployer(provider);
    const stack = await d.deploy({
      ...at,
      template: template(
        {
          B: { Type: 'Test::Thing', Properties: { Name: { 'Fn::Sub': '${A}-b' } } },
          A: { Type: 'Test::Thing', Properties: { Name: 'a' } },
          C: { Type: 'Test::Thing', DependsOn: 'B', Properties: { Peer: { 'Fn::GetAtt': ['A', 'Arn'] } } },
          Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: {} },
        },
        {
          Outputs: {
            BName: { Value: { Ref: 'B' } },
            Where: { Value: { 'Fn::Sub': '${AWS::StackName}@${AWS::Region}' } },
          },
        },
      ),
    });
    expect(calls.map((c) => c.split(' ')[1])).toEqual(['A', 'B', 'C']);
    expect(stack.status).toBe('CREATE_COMPLETE');
    expect(stack.outputs).toEqual([
      { key: 'BName', value: 'a-b' },
      { key: 'Where', value: 'Gate@eu-west-1' },
    ]);
    expect(stack.resources.Alarm?.noEffect).toBe(true);
  });

  it('refuses an unsupported type before making anything, naming the logical id and type', async () => {
    const { provider, calls } = things();
    const { deployer: d } = deployer(provider);
    await expect(
      d.deploy({
        ...at,
        template: template({ A: { Type: 'Test::Thing' }, Odd: { Type: 'AWS::EC2::Instance' } }),
      }),
    ).rejects.toThrow(/Odd is AWS::EC2::Instance, which it does not support/);
    expect(calls).toEqual([]);
  });

  it('rolls back what a failed create made', async () => {
    const { provider, calls, live } = things({ failOn: 'B' });
    const { deployer: d, stacks } = deployer(provider);
    await expect(
      d.deploy({
        ...at,
        template: template({
          A: { Type: 'Test::Thing', Properties: { Name: 'a' } },
          B: { Type: 'Test::Thing', DependsOn: 'A' },
        }),
      }),
    ).rejects.toThrow(/cannot make B/);
    expect(calls).toEqual(['create A a', 'delete A a']);
    expect(live.size).toBe(0);
    expect(stacks.list(at.account, at.region)[0]?.status).toBe('ROLLBACK_COMPLETE');
  });

  it('updates in place, replaces, adds and removes on a redeploy', async () => {
    const { provider, calls, live } = things();
    const { deployer: d } = deployer(provider);
    await d.deploy({
      ...at,
      template: template({
        Same: { Type: 'Test::Thing', Properties: { Name: 'same' } },
        Changed: { Type: 'Test::Thing', Properties: { Name: 'changed', Size: 1 } },
        Renamed: { Type: 'Test::Thing', Properties: { Name: 'old' } },
        Gone: { Type: 'Test::Thing', Properties: { Name: 'gone' } },
      }),
    });
    calls.length = 0;
    const stack = await d.deploy({
      ...at,
      template: template({
        Same: { Type: 'Test::Thing', Properties: { Name: 'same' } },
        Changed: { Type: 'Test::Thing', Properties: { Name: 'changed', Size: 2 } },
        Renamed: { Type: 'Test::Thing', Properties: { Name: 'new' } },
        Added: { Type: 'Test::Thing', Properties: { Name: 'added' } },
      }),
    });
    expect(calls.sort()).toEqual([
      'create Added added',
      'create Renamed new',
      'delete Gone gone',
      'delete Renamed old',
      'update Changed',
    ]);
    expect([...live.keys()].sort()).toEqual(['added', 'changed', 'new', 'same']);
    expect(stack.status).toBe('UPDATE_COMPLETE');
  });

  it('deletes in reverse order and keeps what DeletionPolicy Retain keeps', async () => {
    const { provider, calls, live } = things();
    const { deployer: d, stacks } = deployer(provider);
    await d.deploy({
      ...at,
      template: template({
        Table: { Type: 'Test::Thing', DeletionPolicy: 'Retain', Properties: { Name: 'table' } },
        User: { Type: 'Test::Thing', Properties: { Name: 'user', Of: { Ref: 'Table' } } },
      }),
    });
    calls.length = 0;
    await d.delete(at.account, at.region, 'Gate');
    expect(calls).toEqual(['delete User user']);
    expect([...live.keys()]).toEqual(['table']);
    expect(stacks.find(at.account, at.region, 'Gate')).toBeUndefined();
    expect(stacks.list(at.account, at.region)[0]?.status).toBe('DELETE_COMPLETE');
  });

  it('fails a rule that does not hold, with its description', async () => {
    const { provider } = things();
    const stacks = new Stacks();
    const d = new Deployer({
      providers: new Map([[provider.type, provider]]),
      stacks,
      ssmParameters: { '/cdk-bootstrap/hnb659fds/version': '4' },
    });
    await expect(d.deploy({ ...at, template: template({ A: { Type: 'Test::Thing' } }) })).rejects.toThrow(
      /CheckBootstrapVersion failed: CDK bootstrap stack version 6 required/,
    );
  });

  it('rejects a bad stack name', async () => {
    const { provider } = things();
    const { deployer: d } = deployer(provider);
    await expect(
      d.deploy({ ...at, stackName: '9lives', template: template({ A: { Type: 'Test::Thing' } }) }),
    ).rejects.toThrow(DeployError);
  });
});

describe('generated names', () => {
  const stack = {
    name: 'PrivateLinkGate',
    id: 'arn:aws:cloudformation:us-east-1:1:stack/PrivateLinkGate/x',
    account: '1',
    region: 'us-east-1',
  };
  it('are stack-logicalId-SUFFIX, stable, and fit the limit', () => {
    const name = generatedName(stack, 'DecideRole935921C1', 64);
    expect(name).toMatch(/^PrivateLinkGate-DecideRole935921C1-[A-Z0-9]{12}$/);
    expect(generatedName(stack, 'DecideRole935921C1', 64)).toBe(name);
    const short = generatedName(stack, 'AVeryLongLogicalIdThatGoesOnAndOnForeverAndEverMore', 40);
    expect(short.length).toBeLessThanOrEqual(40);
    expect(short).toMatch(/-[A-Z0-9]{12}$/);
  });
});
