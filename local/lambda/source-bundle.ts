/**
 * A handler run from source is bundled first, as the stack bundles it (esbuild, ESM, the
 * same banner and defines), and the bundle kept on disk: an unchanged source tree reuses
 * it. Loading one bundled file in a worker is what makes a cold start fast: importing the
 * handler's ~2,300 TypeScript and SDK modules through tsx took 1.5-2.3 s here, the bundle
 * 0.2-0.5 s (and 1.2 s to build, once per change).
 *
 * The cache is keyed by the entry, the defines and the build options; each entry records
 * every input file with its size and mtime, and is rebuilt when one of them changed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { build, version as esbuildVersion, type Metafile } from 'esbuild';
import { bundleDefines, ESM_REQUIRE_BANNER } from '../../infra/constructs/bundle-options.ts';

export const DEFAULT_BUNDLE_CACHE = join(tmpdir(), 'plgate-local-bundles');

/** Bumped when the options below change, so older bundles are not reused. */
const OPTIONS_VERSION = 1;

/** A built bundle older than this, no longer current, is removed (another process may still be starting from it). */
const STALE_BUILD_MS = 10 * 60_000;

export class BundleError extends Error {
  override name = 'BundleError';
}

interface InputStamp {
  path: string;
  size: number;
  mtimeMs: number;
}

interface CacheEntry {
  /** The directory holding `<module>.mjs`. */
  directory: string;
  inputs: InputStamp[];
}

export interface SourceBundle {
  /** The task root: the bundle's directory. */
  directory: string;
  /** Whether this call built it (false: reused from the cache). */
  built: boolean;
}

/**
 * The bundle of `entry` as `<moduleName>.mjs` in a directory of its own, built or reused.
 * `environment` is the function's, for the defines the stack builds it with.
 */
export function sourceBundle(
  entry: string,
  moduleName: string,
  environment: Record<string, string>,
  cacheRoot = DEFAULT_BUNDLE_CACHE,
): Promise<SourceBundle> {
  const define = bundleDefines(environment);
  const key = createHash('sha256')
    .update(JSON.stringify({ entry, moduleName, define, esbuildVersion, OPTIONS_VERSION }))
    .digest('hex')
    .slice(0, 32);
  // Functions of several stacks (a hub and its spokes) share one build or check of the same bundle.
  const shared = `${cacheRoot}\0${key}`;
  const running = inProgress.get(shared);
  if (running !== undefined) return running.then((bundle) => ({ ...bundle, built: false }));
  const started = bundleOnce(entry, moduleName, define, cacheRoot, key).finally(() =>
    inProgress.delete(shared),
  );
  inProgress.set(shared, started);
  return started;
}

const inProgress = new Map<string, Promise<SourceBundle>>();

async function bundleOnce(
  entry: string,
  moduleName: string,
  define: Record<string, string>,
  cacheRoot: string,
  key: string,
): Promise<SourceBundle> {
  const pointer = join(cacheRoot, `${key}.json`);
  const cached = await readEntry(pointer);
  if (cached !== undefined && (await unchanged(cached))) return { directory: cached.directory, built: false };

  return new Promise<SourceBundle>((resolvePromise, reject) => {
    const group = `${cacheRoot}\0${JSON.stringify(define)}`;
    const waiting = pendingBuilds.get(group);
    const build: PendingBuild = { entry, moduleName, key, resolve: resolvePromise, reject };
    if (waiting !== undefined) {
      waiting.push(build);
      return;
    }
    pendingBuilds.set(group, [build]);
    setTimeout(() => {
      const builds = pendingBuilds.get(group) ?? [];
      pendingBuilds.delete(group);
      void buildTogether(builds, define, cacheRoot);
    }, GROUP_WINDOW_MS);
  });
}

/**
 * Bundles asked for within this long of each other (a stack's functions, created one after
 * another by the deployer) are built in one esbuild run: the modules they share (the SDK,
 * Powertools, the core) are parsed once. Six handlers took 6-7 s built side by side here,
 * 2 s together.
 */
const GROUP_WINDOW_MS = 100;

interface PendingBuild {
  entry: string;
  moduleName: string;
  key: string;
  resolve: (bundle: SourceBundle) => void;
  reject: (error: Error) => void;
}

const pendingBuilds = new Map<string, PendingBuild[]>();

async function buildTogether(
  builds: PendingBuild[],
  define: Record<string, string>,
  cacheRoot: string,
): Promise<void> {
  const directories = builds.map(({ key }) => join(cacheRoot, `${key}-${randomBytes(6).toString('hex')}`));
  const outputOf = (index: number) =>
    `${basename(directories[index] ?? '')}/${builds[index]?.moduleName ?? ''}`;
  let metafile: Metafile;
  try {
    // esbuild resolves from its working directory: the cache folder, made on first use.
    await mkdir(cacheRoot, { recursive: true });
    const result = await build({
      entryPoints: builds.map(({ entry }, index) => ({ in: entry, out: outputOf(index) })),
      outdir: cacheRoot,
      outExtension: { '.js': '.mjs' },
      absWorkingDir: cacheRoot,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      mainFields: ['module', 'main'],
      banner: { js: ESM_REQUIRE_BANNER },
      define,
      minify: false,
      // A linked map: a worker reads it only when the function's NODE_OPTIONS asks for
      // source maps, and the bundle stays a quarter of the inline map's size (faster to load).
      sourcemap: 'linked',
      sourcesContent: false,
      metafile: true,
      logLevel: 'silent',
    });
    metafile = result.metafile;
  } catch (error) {
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
    if (builds.length > 1) {
      // Each alone, so that the error names the entry that does not build and the others do.
      await Promise.all(builds.map((one) => buildTogether([one], define, cacheRoot)));
      return;
    }
    builds[0]?.reject(
      new BundleError(
        `cannot bundle ${builds[0].entry}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      ),
    );
    return;
  }
  await Promise.all(
    builds.map(async (one, index) => {
      const directory = directories[index] ?? '';
      try {
        const output = metafile.outputs[`${outputOf(index)}.mjs`];
        if (output === undefined) throw new BundleError(`esbuild wrote no ${outputOf(index)}.mjs`);
        const inputs = await stamps(Object.keys(output.inputs).map((input) => resolve(cacheRoot, input)));
        const pointer = join(cacheRoot, `${one.key}.json`);
        // Written whole, then renamed: another process never reads half an entry.
        const temporary = `${pointer}.${randomBytes(6).toString('hex')}`;
        await writeFile(temporary, JSON.stringify({ directory, inputs } satisfies CacheEntry));
        await rename(temporary, pointer);
        await removeStaleBuilds(cacheRoot, one.key, directory);
        one.resolve({ directory, built: true });
      } catch (error) {
        one.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }),
  );
}

async function readEntry(pointer: string): Promise<CacheEntry | undefined> {
  try {
    const entry = JSON.parse(await readFile(pointer, 'utf8')) as CacheEntry;
    return typeof entry.directory === 'string' && Array.isArray(entry.inputs) ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** Size and mtime of each input that is a file (esbuild also lists virtual inputs). */
async function stamps(paths: string[]): Promise<InputStamp[]> {
  const found = await Promise.all(
    paths.map(async (path) => {
      try {
        const { size, mtimeMs } = await stat(path);
        return { path, size, mtimeMs };
      } catch {
        return undefined;
      }
    }),
  );
  return found.filter((stamp) => stamp !== undefined);
}

async function unchanged(entry: CacheEntry): Promise<boolean> {
  try {
    await stat(entry.directory);
  } catch {
    return false;
  }
  const current = await stamps(entry.inputs.map((input) => input.path));
  return (
    current.length === entry.inputs.length &&
    current.every(
      (stamp, index) =>
        stamp.size === entry.inputs[index]?.size && stamp.mtimeMs === entry.inputs[index]?.mtimeMs,
    )
  );
}

async function removeStaleBuilds(cacheRoot: string, key: string, current: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(cacheRoot)) {
    const path = join(cacheRoot, name);
    if (!name.startsWith(`${key}-`) || path === current) continue;
    const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: now }));
    if (now - mtimeMs > STALE_BUILD_MS) await rm(path, { recursive: true, force: true });
  }
}
