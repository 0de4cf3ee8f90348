/**
 * Run by the test run's global setup, one process per assembly: produces it into the run's
 * synth cache while the first test files run, so that no file waits idle for a synth it
 * could have had done. A file that asks first produces it itself (the cache's lock decides).
 * Usage: node --import tsx test/support/prefetch-assemblies.ts <cacheDir> <key>
 */
import { ASSEMBLY_KEYS, type AssemblyKey, produce } from './assemblies.ts';

const [cacheDir, key] = process.argv.slice(2);
if (cacheDir === undefined || !ASSEMBLY_KEYS.includes(key as AssemblyKey)) {
  process.stderr.write(`usage: prefetch-assemblies.ts <cacheDir> <${ASSEMBLY_KEYS.join('|')}>\n`);
  process.exit(2);
}
produce(cacheDir, key as AssemblyKey);
