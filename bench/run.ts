/**
 * Runs every bench file (`bench/*.bench.ts`), one after another, each in its own Node
 * process so that one bench's heap and JIT state cannot colour another's figures.
 * Run: npm run bench   (or: npm run bench -- rule-evaluation   to run the files whose name contains that;
 * npm run bench -- --quick   for smaller sizes, the whole run under a minute). Each bench writes its
 * figures into bench/results.json under its own keys.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { quick, RESULTS_FILE } from './harness.ts';
import { printSummary } from './summary.ts';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2).filter((arg) => arg !== '--quick');
const files = readdirSync(benchDir)
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();

if (files.length === 0) {
  console.error(
    `no bench files (*.bench.ts) in ${benchDir}${filters.length ? ` matching ${filters.join(', ')}` : ''}`,
  );
  process.exit(2);
}

let failed = 0;
for (const file of files) {
  console.log(`\n> ${file}\n`);
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL(file, import.meta.url))],
    { stdio: 'inherit', env: { ...process.env, ...(quick ? { PLGATE_BENCH_QUICK: '1' } : {}) } },
  );
  if (result.status !== 0) {
    failed++;
    console.error(`${file} failed (exit ${result.status ?? result.signal})`);
  }
}
printSummary(RESULTS_FILE);
process.exit(failed > 0 ? 1 : 0);
