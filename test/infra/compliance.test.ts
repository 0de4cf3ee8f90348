import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGateConfig } from '../../infra/config.ts';
import { buildGateApp } from '../../infra/gate-app.ts';
import { FULL_CONFIG, NO_BUNDLING, type SynthesizedGate, synthesizeGate } from './synth.ts';

/**
 * cfn-lint warnings we accept, each with the reason. Anything else (and any error) fails.
 */
const EXPLAINED_CFN_LINT_WARNINGS: Record<string, string> = {
  W3005:
    "CDK makes each function DependsOn its role and the role's default policy so the function is created only after its permissions exist; for the role itself that repeats the implicit GetAtt dependency, which is harmless.",
};

const cfnLintAvailable = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;
const inCi = process.env.CI === 'true';
if (!cfnLintAvailable && !inCi) {
  console.warn(
    '\n*** cfn-lint is not on PATH: the cfn-lint test is SKIPPED (install it with `pip install cfn-lint`). ***\n',
  );
}

let plain: SynthesizedGate;
let full: SynthesizedGate;
/** What `cdk synth` with credentials or a default region produces: account and region are literals. */
let regional: SynthesizedGate;

beforeAll(() => {
  plain = synthesizeGate({});
  full = synthesizeGate(FULL_CONFIG);
  regional = synthesizeGate(
    { ...FULL_CONFIG, stackName: 'GateRegional' },
    {
      env: { account: '111122223333', region: 'eu-west-1' },
    },
  );
});
afterAll(() => {
  plain?.dispose();
  full?.dispose();
  regional?.dispose();
});

const acknowledgments = (root: IConstruct): Array<{ path: string; id: string; reason: unknown }> =>
  root.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) =>
          Object.entries(entry.data ?? {}).map(([id, reason]) => ({ path: construct.node.path, id, reason })),
        ),
    );

describe('CDK annotations', () => {
  it('has no error or unacknowledged warning on the stack, whatever the config and environment', () => {
    for (const gate of [plain, full, regional]) {
      const annotations = Annotations.fromStack(gate.stack);
      expect(annotations.findError('*', Match.anyValue()), gate.stack.stackName).toEqual([]);
      expect(annotations.findWarning('*', Match.anyValue()), gate.stack.stackName).toEqual([]);
      expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    }
  });
});

describe('cdk-nag AwsSolutionsChecks', () => {
  it('reports no unacknowledged finding: default, full, and with a known account and region', () => {
    for (const gate of [plain, full, regional]) {
      const report = new AwsSolutionsChecks().validateScope(gate.app);
      const findings = report.violations.map(
        (violation) =>
          `${violation.ruleName} at ${violation.violatingResources.map((resource) => resource.constructPath).join(', ')}`,
      );
      expect(findings, gate.stack.stackName).toEqual([]);
      expect(report.success).toBe(true);
    }
  });

  it('gives every acknowledgment a written reason', () => {
    const found = acknowledgments(full.app);
    expect(found.length).toBeGreaterThan(10);
    for (const { path, id, reason } of found) {
      expect(typeof reason === 'string' && reason.length >= 40, `${id} at ${path}: "${String(reason)}"`).toBe(
        true,
      );
    }
  });

  it('acknowledges only findings that fire without the acknowledgment', () => {
    // Build the same app once more with acknowledge() recording nothing, and run the checks raw.
    const original = Validations.prototype.acknowledge;
    Validations.prototype.acknowledge = () => undefined;
    let raw: SynthesizedGate;
    try {
      raw = synthesizeGate(FULL_CONFIG);
    } finally {
      Validations.prototype.acknowledge = original;
    }
    try {
      const violations = new AwsSolutionsChecks().validateScope(raw.app).violations;
      expect(violations.length).toBeGreaterThan(0);
      const warnings = Annotations.fromStack(raw.stack).findWarning('*', Match.anyValue());
      for (const { path, id } of acknowledgments(full.app)) {
        const rule = id.replace(/^annotation::/i, '');
        const fires = rule.startsWith('AwsSolutions-')
          ? violations.some(
              (violation) =>
                violation.ruleName === rule &&
                violation.violatingResources.some((resource) =>
                  `${resource.constructPath}/`.startsWith(`${path}/`),
                ),
            )
          : warnings.some(
              (warning) =>
                `${warning.id.slice(1)}/`.startsWith(`${path}/`) &&
                String(warning.entry.data).includes(`[ack: ${rule}]`),
            );
        expect(fires, `${rule} acknowledged at ${path} but never reported there`).toBe(true);
      }
    } finally {
      raw.dispose();
    }
  });

  it('is enforced at synth: the app registers the checks, passes them, and a violation stops synthesis', () => {
    const gate = synthesizeGate(FULL_CONFIG, { nag: true });
    gate.dispose();
    const outdir = mkdtempSync(join(tmpdir(), 'plgate-nag-'));
    try {
      const { app, stack } = buildGateApp({
        outdir,
        config: parseGateConfig({}),
        context: NO_BUNDLING,
        builtinCloudFormationValidation: false,
      });
      new sqs.Queue(stack, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED, enforceSSL: true });
      expect(() => app.synth()).toThrow(/AwsSolutions-SQS2/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('cfn-lint', () => {
  it.skipIf(!cfnLintAvailable && !inCi)(
    'finds no error and only explained warnings in the synthesized templates',
    () => {
      if (!cfnLintAvailable) throw new Error('cfn-lint is required when CI=true (pip install cfn-lint)');
      const templates = [plain.templatePath, full.templatePath, regional.templatePath];
      const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...templates], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      expect(run.error).toBeUndefined();
      const matches: unknown = JSON.parse(run.stdout === '' ? '[]' : run.stdout);
      if (!Array.isArray(matches))
        throw new Error(`cfn-lint printed no JSON list: ${run.stdout}${run.stderr}`);
      const problems = matches
        .map((match) => ({
          level: String(match?.Level),
          rule: String(match?.Rule?.Id),
          message: String(match?.Message),
          path: JSON.stringify(match?.Location?.Path),
        }))
        .filter(({ level, rule }) => level === 'Error' || !(rule in EXPLAINED_CFN_LINT_WARNINGS))
        .map(({ level, rule, message, path }) => `${level} ${rule} ${path}: ${message}`);
      expect(problems).toEqual([]);
      // Exit code bit 2 means errors (4 warnings, 8 informational).
      expect((run.status ?? 2) & 2).toBe(0);
    },
    // Three templates; cfn-lint alone takes 25-60 s on two busy cores.
    180_000,
  );
});
