import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnElement, type Environment, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { inject } from 'vitest';
import { type CliSynth, synthWithCli } from '../../bench/bundle-sizes.ts';
import { parseGateConfig } from '../../infra/config.ts';
import type { RegisterApi } from '../../infra/constructs/register-api.ts';
import { buildGateApp, type GateApp } from '../../infra/gate-app.ts';
import { cachedOnce } from '../support/synth-cache.ts';

/** Every optional feature on, so one synth covers every resource the config can add. */
export const FULL_CONFIG = {
  stackName: 'GateFull',
  sweepRate: 10,
  logRetentionDays: 30,
  ledgerRetentionDays: 90,
  emailSubscriptions: ['netops@example.com', 'security@example.com'],
  slack: { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' },
  extraSubscriberArns: [
    'arn:aws:sqs:us-east-1:111122223333:gate-decisions',
    'arn:aws:lambda:us-east-1:111122223333:function:gate-audit',
  ],
  organizationsLookup: true,
  sdkTracing: true,
  alarmEmail: 'oncall@example.com',
  decideReservedConcurrency: 5,
};

/**
 * CDK context that skips asset bundling (esbuild) for every stack. In-process synths in
 * these tests also leave out CDK's built-in CloudFormation validation (a WebAssembly engine
 * that takes 7-20 s to start in each process): cfn-lint checks the same templates in
 * compliance.test.ts, and `npm run synth` (bundles.test.ts) still runs it.
 */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export interface SynthesizedGate extends GateApp {
  template: Template;
  /** The template as JSON, for walking it. */
  json: TemplateJson;
  templatePath: string;
  outdir: string;
  dispose(): void;
}

export interface TemplateJson {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; [key: string]: unknown }>;
  Outputs?: Record<string, { Value: unknown }>;
}

/**
 * Synthesizes the gate into a temporary directory. Without `bundle`, CDK skips
 * esbuild (context `aws:cdk:bundling-stacks: []`): templates are the same except for
 * asset hashes, and tests stay fast. `nag` registers the synth-time cdk-nag plugin.
 */
export function synthesizeGate(
  config: unknown = {},
  options: { bundle?: boolean; nag?: boolean; env?: Environment } = {},
): SynthesizedGate {
  const outdir = mkdtempSync(join(tmpdir(), 'plgate-infra-'));
  const gate = buildGateApp({
    outdir,
    nag: options.nag ?? false,
    env: options.env ?? {},
    config: parseGateConfig(config),
    context: options.bundle === true ? {} : NO_BUNDLING,
    builtinCloudFormationValidation: false,
  });
  const assembly = gate.app.synth();
  const artifact = assembly.getStackArtifact(gate.stack.artifactId);
  const json: TemplateJson = artifact.template;
  return {
    ...gate,
    template: Template.fromJSON(json),
    json,
    templatePath: artifact.templateFullPath,
    outdir,
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** The run's synth cache (vitest.config.ts globalSetup), or this process's own without it. */
let ownCacheDir: string | undefined;
function synthCacheDir(): string {
  const provided = inject('synthCacheDir');
  if (provided !== undefined) return provided;
  ownCacheDir ??= mkdtempSync(join(tmpdir(), 'plgate-synth-cache-'));
  return ownCacheDir;
}

export interface DefaultAssembly extends CliSynth {
  /** The cloud assembly `npm run synth` writes: template, bundles, manifests. */
  outdir: string;
}

/**
 * The default stack as `npm run synth` builds it (the CDK CLI, esbuild bundles, cdk-nag,
 * no AWS credentials), synthesized once per `vitest run` and shared by every test file.
 */
export function defaultAssembly(): DefaultAssembly {
  return cachedOnce(synthCacheDir(), 'default-cli', (outdir) => ({ ...synthWithCli(outdir), outdir }));
}

/**
 * The gate's construct tree, built in this process (for logical ids and construct
 * references), with its template synthesized in process without bundling once per run per
 * config and environment, and shared between test files. `npm run synth`'s template is not
 * used here: the CDK CLI fills in a default region, and these tests check the
 * environment-agnostic template. Use synthesizeGate for tests about synthesis itself
 * (annotations, cdk-nag on the synthesized tree, a violation stopping synth).
 */
export function sharedGate(config: unknown = {}, options: { env?: Environment } = {}): SynthesizedGate {
  const env = options.env ?? {};
  const parsed = parseGateConfig(config);
  const outdir = mkdtempSync(join(tmpdir(), 'plgate-infra-tree-'));
  const gate = buildGateApp({ outdir, nag: false, env, config: parsed, context: NO_BUNDLING });
  const key = `in-process-${createHash('sha256').update(JSON.stringify({ parsed, env })).digest('hex').slice(0, 16)}`;
  const templatePath = cachedOnce(synthCacheDir(), key, (folder) => {
    const shared = buildGateApp({
      outdir: folder,
      nag: false,
      env,
      config: parsed,
      context: NO_BUNDLING,
      builtinCloudFormationValidation: false,
    });
    return shared.app.synth().getStackArtifact(shared.stack.artifactId).templateFullPath;
  });
  const json: TemplateJson = JSON.parse(readFileSync(templatePath, 'utf8'));
  return {
    ...gate,
    template: Template.fromJSON(json),
    json,
    templatePath,
    outdir,
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** The stack's register API, which every stack built with `registerApi` (the default) has. */
export function registerApiOf(stack: GateApp['stack']): RegisterApi {
  if (stack.gate.register === undefined) throw new Error(`${stack.stackName} has no register API`);
  return stack.gate.register;
}

/** The CloudFormation logical id of a construct's resource (or of the construct itself). */
export function logicalIdOf(construct: IConstruct): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(element instanceof CfnElement))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(element).getLogicalId(element);
}

export interface Statement {
  Effect: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
  Sid?: string;
}

export const asList = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** The statements of every AWS::IAM::Policy attached to a role. */
export function roleStatements(json: TemplateJson, roleLogicalId: string): Statement[] {
  return Object.values(json.Resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((policy) => {
      const roles = policy.Properties?.Roles;
      return (
        Array.isArray(roles) &&
        roles.some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }))
      );
    })
    .flatMap((policy) => statementsOf(policy.Properties?.PolicyDocument));
}

export function statementsOf(document: unknown): Statement[] {
  if (typeof document !== 'object' || document === null || !('Statement' in document)) return [];
  const statements = document.Statement;
  return Array.isArray(statements) ? statements : [];
}

/** Actions a role is allowed, for one service prefix (e.g. `ec2:`). */
export function allowedActions(statements: Statement[], prefix: string): string[] {
  return [
    ...new Set(
      statements
        .filter((statement) => statement.Effect === 'Allow')
        .flatMap((statement) => asList(statement.Action))
        .filter((action) => action.startsWith(prefix)),
    ),
  ].sort();
}

/** Resolves the simple Fn::Join/Ref shapes CDK emits for ARNs into a readable string. */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  if (typeof value === 'object' && value !== null) {
    if ('Ref' in value && typeof value.Ref === 'string') return `<${value.Ref}>`;
    if ('Fn::GetAtt' in value && Array.isArray(value['Fn::GetAtt']))
      return `<${value['Fn::GetAtt'].join('.')}>`;
    if ('Fn::Join' in value && Array.isArray(value['Fn::Join'])) {
      const [separator, parts] = value['Fn::Join'];
      if (typeof separator === 'string' && Array.isArray(parts)) return parts.map(render).join(separator);
    }
  }
  return JSON.stringify(value);
}
