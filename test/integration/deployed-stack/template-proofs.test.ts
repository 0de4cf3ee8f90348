/**
 * Proofs that the template is what runs on the local cloud: each test deploys a variant of
 * the synthesized template (a copy of the run's assembly, its JSON edited, no re-synthesis)
 * and shows that the variant's difference is what the gate does. A detail that only code
 * wired by hand would know (a subscription, a permission, an environment variable, a grant)
 * would pass here unnoticed; these fail if the local cloud stops running the template.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../../functions/aws/clients.ts';
import { DynamoLedger } from '../../../functions/aws/ledger.ts';
import { SOURCE_METADATA_KEY } from '../../../infra/source-metadata.ts';
import { readAssembly } from '../../../local/cloudformation/assembly.ts';
import { PROVIDER_CREDENTIALS } from '../../../local/provider-credentials.ts';
import { defaultAssembly } from '../../infra/synth.ts';
import { PARTNER } from '../../support/accounts.ts';
import { gateAssemblyDir } from '../../support/gate-assembly.ts';
import {
  createEndpoint,
  createService,
  ENFORCING_DEFAULTS,
  type LocalGateWorld,
  outcomesOf,
  settle,
  startLocalGate,
  stateOf,
} from '../../support/local-gate.ts';
import { runPlgateLocal } from '../../support/plgate-local-process.ts';

interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Metadata?: Record<string, unknown>;
}
interface TemplateJson {
  Resources: Record<string, TemplateResource>;
}

const STACK = 'PrivateLinkGate';
const scratch: string[] = [];

// The run's assembly is synthesized once per run; the first file to ask pays for it.
beforeAll(() => {
  gateAssemblyDir();
}, 180_000);

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A copy of an assembly's top-level files (manifest, template, asset manifest) in a new temp dir. */
function copyAssembly(source: string, options: { recursive?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'plgate-proof-'));
  scratch.push(dir);
  cpSync(source, dir, {
    recursive: true,
    filter: (path) =>
      options.recursive === true || path === source || !path.slice(source.length + 1).includes('/'),
  });
  return dir;
}

function templatePathOf(dir: string): string {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { properties?: { templateFile?: string } }>;
  };
  const file = manifest.artifacts[STACK]?.properties?.templateFile;
  if (file === undefined) throw new Error(`${dir} has no stack ${STACK}`);
  return join(dir, file);
}

/** The run's gate assembly with its template edited: the variant to deploy. */
function variant(edit: (template: TemplateJson) => void): string {
  const dir = copyAssembly(gateAssemblyDir());
  const path = templatePathOf(dir);
  const template = JSON.parse(readFileSync(path, 'utf8')) as TemplateJson;
  edit(template);
  writeFileSync(path, JSON.stringify(template));
  return dir;
}

const refersTo = (value: unknown, logicalId: string): boolean =>
  JSON.stringify(value ?? null).includes(`"${logicalId}"`);

/** The logical id of the function that runs a handler (by the source the stack names for it). */
function functionOf(template: TemplateJson, handler: string): string {
  const found = Object.entries(template.Resources).find(
    ([, resource]) =>
      resource.Type === 'AWS::Lambda::Function' &&
      resource.Metadata?.[SOURCE_METADATA_KEY] === `functions/handlers/${handler}.ts`,
  );
  if (found === undefined) throw new Error(`the template has no ${handler} function`);
  return found[0];
}

/** Logical ids of the resources of a type whose properties refer to another resource. */
function resourcesReferring(template: TemplateJson, type: string, logicalId: string): string[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type && refersTo(resource.Properties, logicalId))
    .map(([id]) => id);
}

/** Removes a resource and every DependsOn on it. */
function remove(template: TemplateJson, logicalId: string): void {
  delete template.Resources[logicalId];
  for (const resource of Object.values(template.Resources)) {
    if (resource.DependsOn === undefined) continue;
    const left = [resource.DependsOn].flat().filter((id) => id !== logicalId);
    resource.DependsOn = left;
  }
}

function only(ids: string[], what: string): string {
  if (ids.length !== 1 || ids[0] === undefined)
    throw new Error(`expected one ${what}, found ${ids.join(', ')}`);
  return ids[0];
}

/** The logical id of the AWS::IAM::Policy attached to the role a function runs as. */
function policyOf(template: TemplateJson, functionId: string): string {
  const role = template.Resources[functionId]?.Properties?.Role;
  const roleId = JSON.stringify(role).match(/"Fn::GetAtt":\["([^"]+)","Arn"\]/)?.[1];
  if (roleId === undefined) throw new Error(`${functionId} names no role of the template`);
  return only(resourcesReferring(template, 'AWS::IAM::Policy', roleId), `policy of ${roleId}`);
}

function statementsOf(template: TemplateJson, policyId: string): { Action: string | string[] }[] {
  const document = template.Resources[policyId]?.Properties?.PolicyDocument as {
    Statement: { Action: string | string[] }[];
  };
  return document.Statement;
}

/**
 * A world with a managed service enrolled (the sweep made its connection notification) and
 * the partner accepted by rule, where the deployed template lets it; then a partner's request.
 */
async function partnerRequest(
  world: LocalGateWorld,
  options: { settle?: boolean } = {},
): Promise<{ serviceId: string; endpointId: string }> {
  await world.rules.putItems([
    ENFORCING_DEFAULTS,
    { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: [PARTNER] } },
  ]);
  const serviceId = await createService(world.provider);
  await world.gate.sweepNow();
  await settle(world);
  const endpointId = await createEndpoint(world, PARTNER, serviceId);
  if (options.settle !== false) await settle(world);
  return { serviceId, endpointId };
}

/** The first cloud log line that matches, once it is written. */
async function logged(world: LocalGateWorld, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const start = Date.now();
  for (;;) {
    const line = world.cloud.logs.find((candidate) => pattern.test(candidate));
    if (line !== undefined) return line;
    if (Date.now() - start > timeoutMs)
      throw new Error(`no log line matched ${pattern}:\n${world.cloud.logs.slice(-20).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function withWorld<T>(
  assemblyDir: string | undefined,
  run: (world: LocalGateWorld) => Promise<T>,
  options: { drain?: boolean } = {},
): Promise<T> {
  const world = await startLocalGate(undefined, {}, assemblyDir === undefined ? {} : { assemblyDir });
  try {
    return await run(world);
  } finally {
    // Without draining, a batch waiting out its visibility timeout is dropped with the cloud.
    await (options.drain === false ? world.cloud.stop() : world.stop());
  }
}

// A world takes seconds alone; the suite runs on two busy cores.
describe('the template is what runs', () => {
  it('a decide queue with no event source mapping leaves a request waiting; the template decides it', async () => {
    const noMapping = variant((template) => {
      const decide = functionOf(template, 'decide');
      remove(
        template,
        only(resourcesReferring(template, 'AWS::Lambda::EventSourceMapping', decide), 'mapping'),
      );
    });
    const [normal, waiting] = await Promise.all([
      withWorld(undefined, async (world) => {
        const { serviceId, endpointId } = await partnerRequest(world);
        return {
          state: await stateOf(world, serviceId, endpointId),
          ledger: await outcomesOf(world, endpointId),
        };
      }),
      withWorld(noMapping, async (world) => {
        const { serviceId, endpointId } = await partnerRequest(world);
        const queue = Object.values(world.gate.stack.resources).find(
          (resource) =>
            resource.type === 'AWS::SQS::Queue' && resource.logicalId.startsWith('TriggersDecideQueue'),
        );
        return {
          state: await stateOf(world, serviceId, endpointId),
          ledger: await outcomesOf(world, endpointId),
          queued: world.cloud.registry.sqs.peek(String(queue?.attributes.Arn)),
          endpointId,
        };
      }),
    ]);
    expect(normal.state).toMatch(/pending|available/);
    expect(normal.ledger.map((entry) => [entry.outcome, entry.rule])).toEqual([['accepted', 'partners']]);
    expect(waiting.state).toBe('pendingAcceptance');
    expect(waiting.ledger).toEqual([]);
    // The request is in the decide queue, where nothing reads it.
    expect(waiting.queued.some((body) => body.includes(waiting.endpointId))).toBe(true);
  }, 90_000);

  it('a decide role without ec2:AcceptVpcEndpointConnections accepts nothing and the denial is logged', async () => {
    const noAccept = variant((template) => {
      for (const statement of statementsOf(template, policyOf(template, functionOf(template, 'decide')))) {
        statement.Action = [statement.Action]
          .flat()
          .filter((action) => action !== 'ec2:AcceptVpcEndpointConnections');
      }
    });
    await withWorld(
      noAccept,
      async (world) => {
        // Not settled: the failed batch comes back only after the queue's visibility timeout.
        const { serviceId, endpointId } = await partnerRequest(world, { settle: false });
        const denial = await logged(world, /denied.*ec2:AcceptVpcEndpointConnections/);
        const role = Object.values(world.gate.stack.resources).find(
          (resource) => resource.type === 'AWS::IAM::Role' && resource.logicalId.startsWith('DecideRole'),
        );
        expect(denial).toContain(String(role?.physicalId));
        expect(await stateOf(world, serviceId, endpointId)).toBe('pendingAcceptance');
        expect((await outcomesOf(world, endpointId)).map((entry) => entry.outcome)).not.toContain('accepted');
      },
      { drain: false },
    );
  }, 60_000);

  it('a changed environment variable changes the table a function writes', async () => {
    const elsewhere = variant((template) => {
      const decide = functionOf(template, 'decide');
      const ledger = only(
        Object.keys(template.Resources).filter((id) => id.startsWith('TablesLedger')),
        'ledger table',
      );
      template.Resources.OtherLedger = structuredClone(template.Resources[ledger] as TemplateResource);
      const environment = template.Resources[decide]?.Properties?.Environment as
        | { Variables: Record<string, unknown> }
        | undefined;
      if (environment === undefined) throw new Error('decide has no environment');
      environment.Variables.LEDGER_TABLE = { Ref: 'OtherLedger' };
      // The grant follows the table, as `table.grantReadWriteData(fn)` would.
      const policyId = policyOf(template, decide);
      const policy = template.Resources[policyId] as TemplateResource;
      template.Resources[policyId] = JSON.parse(
        JSON.stringify(policy).replaceAll(`"${ledger}"`, '"OtherLedger"'),
      );
    });
    await withWorld(elsewhere, async (world) => {
      const { endpointId } = await partnerRequest(world);
      const tables = Object.values(world.gate.stack.resources).filter(
        (resource) => resource.type === 'AWS::DynamoDB::Table',
      );
      const tableOf = (prefix: string) =>
        tables.find((table) => table.logicalId.startsWith(prefix))?.physicalId ?? '';
      const clients = createClients({
        endpoint: world.cloud.endpoint,
        region: world.cloud.region,
        credentials: PROVIDER_CREDENTIALS,
      });
      try {
        const read = (table: string) =>
          new DynamoLedger(clients.dynamodb, table, { retentionDays: 30 }).history({ endpointId });
        expect(tableOf('OtherLedger')).toMatch(/^PrivateLinkGate-OtherLedger-/);
        expect((await read(tableOf('OtherLedger'))).map((entry) => entry.outcome)).toEqual(['accepted']);
        expect(await read(tableOf('TablesLedger'))).toEqual([]);
      } finally {
        for (const client of Object.values(clients)) client.destroy();
      }
    });
  }, 60_000);

  it('a bundle edited to print a marker prints it', async () => {
    const dir = copyAssembly(defaultAssembly().outdir, { recursive: true });
    const stack = readAssembly(dir).stacks.find((s) => s.stackName === STACK);
    const template = JSON.parse(readFileSync(templatePathOf(dir), 'utf8')) as TemplateJson;
    const sweep = template.Resources[functionOf(template, 'sweep')]?.Properties?.Code as { S3Key: string };
    const bundle = stack?.assets.get(sweep.S3Key);
    if (bundle === undefined) throw new Error(`no bundle for ${sweep.S3Key}`);
    const marker = `MARKER-${process.pid}-${Date.now()}`;
    const index = join(bundle, 'index.mjs');
    writeFileSync(index, `console.log('${marker}');\n${readFileSync(index, 'utf8')}`);
    const lines: [string, string][] = [];
    const world = await startLocalGate(
      undefined,
      { functionLog: (name, line) => lines.push([name, line]) },
      { assemblyDir: dir, code: 'bundles' },
    );
    try {
      await world.gate.sweepNow();
      expect(lines.filter(([, line]) => line.includes(marker))).toEqual([
        [world.gate.functionNames.sweep, marker],
      ]);
    } finally {
      await world.stop();
    }
    // The CLI synth (esbuild, cdk-nag) is shared with test/infra/bundles.test.ts: the first to ask pays.
  }, 240_000);

  it('a Lambda permission removed stops the SNS delivery to ingest', async () => {
    const noPermission = variant((template) => {
      const ingest = functionOf(template, 'ingest');
      const fromSns = resourcesReferring(template, 'AWS::Lambda::Permission', ingest).filter(
        (id) => template.Resources[id]?.Properties?.Principal === 'sns.amazonaws.com',
      );
      remove(template, only(fromSns, 'SNS permission of ingest'));
    });
    await withWorld(noPermission, async (world) => {
      const { serviceId, endpointId } = await partnerRequest(world);
      expect(await stateOf(world, serviceId, endpointId)).toBe('pendingAcceptance');
      expect(await outcomesOf(world, endpointId)).toEqual([]);
      // The cloud logs the refused delivery and keeps the notification in ingest's dead-letter queue.
      const refused = world.cloud.logs.find(
        (line) =>
          line.startsWith(`sns: delivery of `) &&
          line.includes(`function:${world.gate.functionNames.ingest} failed`),
      );
      expect(refused, world.cloud.logs.join('\n')).toMatch(
        /sns\.amazonaws\.com is not authorized to perform: lambda:InvokeFunction .*no permission of the function allows it/,
      );
      const deadLetters = Object.values(world.gate.stack.resources).find(
        (resource) =>
          resource.type === 'AWS::SQS::Queue' && resource.logicalId.startsWith('IngestDeadLetterQueue'),
      );
      expect(world.cloud.registry.sqs.peek(String(deadLetters?.attributes.Arn)).join()).toContain(endpointId);
    });
  }, 60_000);

  it('an unsupported resource type refuses to start, naming the logical id and the type', async () => {
    const withInstance = variant((template) => {
      template.Resources.BastionHost = {
        Type: 'AWS::EC2::Instance',
        Properties: { ImageId: 'ami-12345678' },
      };
    });
    const { code, output } = await runPlgateLocal(['--stack', withInstance], 30_000);
    expect(code, output).toBe(1);
    expect(output).toMatch(/BastionHost/);
    expect(output).toMatch(/AWS::EC2::Instance/);
  }, 60_000);
});
