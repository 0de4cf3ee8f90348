/**
 * A synthesized cloud assembly (`cdk.out`) as the local cloud deploys it: its stacks in
 * dependency order, each with its template and environment, and where each function's
 * code is: the bundled asset directory (`--stack DIR`), or, for an assembly synthesized
 * without bundling, the handler's source file named in the function's metadata.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { SOURCE_METADATA_KEY } from '../../infra/source-metadata.ts';
import { TemplateError } from './intrinsics.ts';
import { parseTemplate, type Template, type TemplateResource } from './template.ts';

export class AssemblyError extends Error {
  override name = 'AssemblyError';
}

export interface AssemblyStack {
  stackName: string;
  /** From the manifest's `aws://ACCOUNT/REGION`; undefined where it is `unknown-…`. */
  account: string | undefined;
  region: string | undefined;
  template: Template;
  /** S3 object key of a file asset (`HASH.zip`) -> its directory in the assembly. */
  assets: Map<string, string>;
}

export interface Assembly {
  directory: string;
  stacks: AssemblyStack[];
}

interface ManifestArtifact {
  type: string;
  environment?: string;
  properties?: { templateFile?: string; stackName?: string; file?: string };
  dependencies?: string[];
  displayName?: string;
}

const readJson = (path: string, what: string): unknown => {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new AssemblyError(
      `cannot read ${what} ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
};

export function readAssembly(directory: string): Assembly {
  const dir = resolve(directory);
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath))
    throw new AssemblyError(
      `${dir} is not a cloud assembly: it has no manifest.json (run npm run synth first)`,
    );
  const manifest = readJson(manifestPath, 'the manifest') as { artifacts?: Record<string, ManifestArtifact> };
  const artifacts = manifest.artifacts ?? {};
  const order = stackOrder(artifacts);
  const stacks = order.map((id): AssemblyStack => {
    const artifact = artifacts[id] as ManifestArtifact;
    const templateFile = artifact.properties?.templateFile;
    if (templateFile === undefined)
      throw new AssemblyError(`${manifestPath}: stack ${id} names no templateFile`);
    const template = (() => {
      try {
        return parseTemplate(readJson(join(dir, templateFile), 'the template'), templateFile);
      } catch (error) {
        if (error instanceof TemplateError) throw new AssemblyError(error.message);
        throw error;
      }
    })();
    const [, account, region] = /^aws:\/\/([^/]*)\/(.*)$/.exec(artifact.environment ?? '') ?? [];
    const assets = new Map<string, string>();
    for (const dependency of artifact.dependencies ?? []) {
      const file = artifacts[dependency];
      if (file?.type !== 'cdk:asset-manifest' || file.properties?.file === undefined) continue;
      const assetManifest = readJson(join(dir, file.properties.file), 'the asset manifest') as {
        files?: Record<
          string,
          { source?: { path?: string }; destinations?: Record<string, { objectKey?: string }> }
        >;
      };
      for (const asset of Object.values(assetManifest.files ?? {})) {
        const path = asset.source?.path;
        if (path === undefined) continue;
        for (const destination of Object.values(asset.destinations ?? {})) {
          if (destination.objectKey !== undefined)
            assets.set(destination.objectKey, isAbsolute(path) ? path : join(dir, path));
        }
      }
    }
    return {
      stackName: artifact.properties?.stackName ?? id,
      account: account === undefined || account.startsWith('unknown-') ? undefined : account,
      region: region === undefined || region.startsWith('unknown-') ? undefined : region,
      template,
      assets,
    };
  });
  if (stacks.length === 0) throw new AssemblyError(`${manifestPath} has no stacks`);
  return { directory: dir, stacks };
}

/** Stack artifacts in an order where each comes after the stacks it depends on. */
function stackOrder(artifacts: Record<string, ManifestArtifact>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string): void => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const dependency of artifacts[id]?.dependencies ?? []) visit(dependency);
    if (artifacts[id]?.type === 'aws:cloudformation:stack') order.push(id);
  };
  for (const id of Object.keys(artifacts)) visit(id);
  return order;
}

export type CodeSource = 'bundles' | 'source';

/**
 * Rewrites an `AWS::Lambda::Function`'s `Code` (an S3 object of the assets bucket) to
 * where the local cloud finds it: `{ LocalPath }`, the asset directory as synthesized,
 * or `{ LocalSource }`, the handler's source file (`projectRoot`-relative in the metadata).
 */
export function functionCode(
  stack: AssemblyStack,
  code: CodeSource,
  projectRoot: string,
): (
  logicalId: string,
  resource: TemplateResource,
  properties: Record<string, unknown>,
) => Record<string, unknown> {
  return (logicalId, resource, properties) => {
    if (resource.Type !== 'AWS::Lambda::Function') return properties;
    const given = properties.Code as Record<string, unknown> | undefined;
    if (given?.ZipFile !== undefined) return properties;
    if (code === 'source') {
      const source = resource.Metadata?.[SOURCE_METADATA_KEY];
      if (typeof source !== 'string')
        throw new AssemblyError(
          `${stack.stackName}: function ${logicalId} names no source file (metadata ${SOURCE_METADATA_KEY})`,
        );
      return { ...properties, Code: { LocalSource: join(projectRoot, source) } };
    }
    const key = given?.S3Key;
    const path = typeof key === 'string' ? stack.assets.get(key) : undefined;
    if (path === undefined || !existsSync(path))
      throw new AssemblyError(
        `${stack.stackName}: the code of function ${logicalId} (${String(key)}) is not in the assembly (synthesize with bundling: npm run synth)`,
      );
    return { ...properties, Code: { LocalPath: path } };
  };
}

/** An HTTP API's AWS URL (`https://ID.execute-api.REGION.amazonaws.com/path`) as the local cloud serves it. */
export function localApiUrl(endpoint: string): (value: string) => string {
  return (value) =>
    value.replace(
      /https:\/\/([a-z0-9]{10})\.execute-api\.[a-z0-9-]+\.amazonaws\.com/g,
      (_match, apiId: string) => `${endpoint}/_aws/execute-api/${apiId}`,
    );
}
