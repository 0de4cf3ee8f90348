/**
 * `npm start` as a newcomer runs it: the demo walks every path of the gate through the real
 * binary. Then the README's and local/README.md's walks, run verbatim against what `npm start` runs
 * (`plgate local --demo --rules policies`, on a free port that AWS_ENDPOINT_URL names, as
 * the docs let you set it). Each file's blocks run in order in one bash, from a scratch
 * folder that looks like a checkout, so files the walks write stay out of the repository.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../cli/run-plgate.ts';
import { awsExecutable } from '../../support/aws-cli.ts';
import { walkScript, walkSteps } from '../../support/doc-walks.ts';
import { type PlgateLocalProcess, startPlgateLocal } from '../../support/plgate-local-process.ts';

const DOCS = ['README.md', 'local/README.md'];
/** What a checkout holds that the walks use; linked, except the rules, which a walk may edit. */
const LINKED = ['package.json', 'node_modules', 'bin', 'cli', 'functions', 'local', 'terminal'];

let server: PlgateLocalProcess;
const scratch = mkdtempSync(join(tmpdir(), 'plgate-docs-'));

beforeAll(async () => {
  for (const name of LINKED) symlinkSync(join(ROOT, name), join(scratch, name));
  cpSync(join(ROOT, 'policies'), join(scratch, 'policies'), { recursive: true });
  server = await startPlgateLocal(['--demo', '--rules', 'policies']);
  // The README's walk starts where the demo ends (its services, its ledger).
  await server.waitFor(/Try it yourself/);
}, 120_000);

afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  rmSync(scratch, { recursive: true, force: true });
});

/** A newcomer's shell: no AWS settings of this machine's, only where plgate local listens. */
function newcomerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('AWS_') && !name.startsWith('VITEST') && name !== 'NODE_OPTIONS') env[name] = value;
  }
  return {
    ...env,
    // The walks' `aws` is the CLI itself, not a version manager's shim in front of it.
    PATH: isAbsolute(awsExecutable()) ? [dirname(awsExecutable()), env.PATH].join(delimiter) : env.PATH,
    AWS_ENDPOINT_URL: server.endpoint,
    AWS_CONFIG_FILE: join(scratch, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(scratch, 'no-aws-credentials'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    NO_COLOR: '1',
  };
}

function runWalk(file: string): Promise<{ code: number | null; output: string }> {
  const script = walkScript(file, walkSteps(readFileSync(join(ROOT, file), 'utf8')));
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: scratch, env: newcomerEnv() });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('npm start: the demo', () => {
  it('shows every path of the gate as it happens, then the ledger in time order', () => {
    const output = server.output();
    // Each decision is shown as it happens, as the Slack notice reads.
    for (const notice of [
      /Accepted: vpce-[0-9a-f]+/,
      /Rejected: vpce-[0-9a-f]+/,
      /Held for review: vpce-[0-9a-f]+/,
      /Expired and rejected: vpce-[0-9a-f]+/,
      /Revoked: vpce-[0-9a-f]+/,
      /Would accept: vpce-[0-9a-f]+/,
      /approved by arn:aws:iam::000000000000:[^ ]+ at [0-9T:.Z-]+: signed contract/,
    ]) {
      expect(output).toMatch(notice);
    }
    // The ledger summary at the end holds one row per path, in the words history uses.
    const summary = output.slice(output.indexOf('What the ledger holds'));
    for (const row of [
      /111111111111\s+accepted\s+rule partner-acme/,
      /666666666666\s+rejected\s+rule block-known-abuser/,
      /333333333333\s+held\s+default/,
      /333333333333\s+expired\s+default/,
      /888888888888\s+accepted\s+approved by arn:aws:iam::000000000000:\S+\s+manual/,
      /222222222222\s+revoked\s+rule offboard-222222222222/,
      /111111111111\s+would be accepted\s+rule partner-acme/,
    ]) {
      expect(summary).toMatch(row);
    }
    // In time order, whatever order the notices were published in.
    const times = [...summary.matchAll(/^\s+(\d\d:\d\d:\d\d)\s+vpce-/gm)].map((m) => m[1] ?? '');
    expect(times.length).toBeGreaterThanOrEqual(7);
    expect(times).toEqual([...times].sort());
    // The closing hint works when pasted: it names the endpoint and the region.
    expect(output).toMatch(
      /Try it yourself: AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:\d+ AWS_REGION=us-east-1 npx plgate history vpce-[0-9a-f]+ .* --region us-east-1 ec2/,
    );
    expect(output).toMatch(/dry-run service: vpce-[0-9a-f]+ is still pendingAcceptance/);
  });
});

describe('the docs walks run verbatim against npm start', () => {
  it('README.md and local/README.md', { timeout: 240_000 }, async () => {
    // Independent walks (their own services and endpoints): side by side, to keep the test short.
    const results = await Promise.all(DOCS.map(runWalk));
    for (const [i, { code, output }] of results.entries()) {
      expect([DOCS[i], code], output).toEqual([DOCS[i], 0]);
    }
  });
});
