/**
 * The README's and local/README.md's walks, run verbatim against what `npm start` runs
 * (`plgate local --demo --rules policies`, on a free port that AWS_ENDPOINT_URL names, as
 * the docs let you set it). Each file's blocks run in order in one bash, from a scratch
 * folder that looks like a checkout, so files the walks write stay out of the repository.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../cli/run-plgate.ts';
import { walkScript, walkSteps } from '../../support/doc-walks.ts';
import { type PlgateLocalProcess, startPlgateLocal } from '../../support/plgate-local-process.ts';

const DOCS = ['README.md', 'local/README.md'];
/** What a checkout holds that the walks use; linked, except the rules, which a walk may edit. */
const LINKED = ['package.json', 'node_modules', 'bin', 'cli', 'functions', 'local', 'rule-files', 'terminal'];

let server: PlgateLocalProcess;
const scratch = mkdtempSync(join(tmpdir(), 'plgate-docs-'));

beforeAll(async () => {
  for (const name of LINKED) symlinkSync(join(ROOT, name), join(scratch, name));
  cpSync(join(ROOT, 'policies'), join(scratch, 'policies'), { recursive: true });
  server = await startPlgateLocal(['--demo', '--rules', 'policies']);
  // The README's walk starts where the demo ends (its services, its ledger).
  const deadline = Date.now() + 90_000;
  while (!server.output().includes('Try it yourself')) {
    if (Date.now() > deadline) throw new Error(`the demo did not finish:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 120_000);

afterAll(async () => {
  await server?.stop();
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

describe('the docs walks run verbatim against npm start', () => {
  it('README.md and local/README.md', { timeout: 240_000 }, async () => {
    // Independent walks (their own services and endpoints): side by side, to keep the test short.
    const results = await Promise.all(DOCS.map(runWalk));
    for (const [i, { code, output }] of results.entries()) {
      expect([DOCS[i], code], output).toEqual([DOCS[i], 0]);
    }
  });
});
