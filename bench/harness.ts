/** Small timing helpers shared by bench files: samples, medians, the machine they ran on. */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface Measurement {
  name: string;
  /** Median operations per second over the samples. */
  opsPerSecond: number;
  /** Median time of one operation, in microseconds. */
  microsPerOp: number;
  samples: number;
  opsPerSample: number;
}

/**
 * Runs `operation(i)` `opsPerSample` times per sample, after `warmup` unmeasured samples,
 * and reports the median. `operation` returns a number folded into a checksum so the
 * work cannot be optimised away.
 */
export function measure(
  name: string,
  operation: (i: number) => number,
  {
    samples = 11,
    opsPerSample = 1000,
    warmup = 2,
  }: { samples?: number; opsPerSample?: number; warmup?: number } = {},
): Measurement {
  let checksum = 0;
  const rates: number[] = [];
  for (let sample = 0; sample < warmup + samples; sample++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < opsPerSample; i++) checksum += operation(sample * opsPerSample + i);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (sample >= warmup) rates.push(opsPerSample / seconds);
  }
  if (checksum === Number.MIN_SAFE_INTEGER) console.log('unreachable', checksum);
  const opsPerSecond = median(rates);
  return { name, opsPerSecond, microsPerOp: 1e6 / opsPerSecond, samples, opsPerSample };
}

/** `npm run bench -- --quick` (or PLGATE_BENCH_QUICK=1): smaller sizes, the whole run under a minute. */
export const quick = process.argv.includes('--quick') || process.env.PLGATE_BENCH_QUICK === '1';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

export function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/** Deterministic pseudo-random numbers (mulberry32), so every run measures the same data. */

export const formatRate = (value: number): string => Math.round(value).toLocaleString('en-US');

/**
 * Where a run's figures go: bench/results.json for a full run (the figures BENCHMARKS.md
 * quotes); bench/results.quick.json (not committed) for --quick, so a quick look never
 * overwrites them.
 */
export const RESULTS_FILE = fileURLToPath(
  new URL(quick ? './results.quick.json' : './results.json', import.meta.url),
);

/** Merges some keys into bench/results.json, keeping the keys other bench files wrote. */
export function recordResults(results: Record<string, unknown>): void {
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
  }
  writeFileSync(RESULTS_FILE, `${JSON.stringify({ ...current, ...results, machine: machine() }, null, 2)}\n`);
}
