/**
 * Lambda's part of `--data`: the functions' definitions, permissions and async invoke
 * configurations, so a restarted cloud can run them again (the deployer then updates them
 * in place from the template). Environments are not kept: the first invocation after a
 * restart is a cold start.
 */
import { z } from 'zod';
import type { FunctionDefinition } from './definition.ts';
import type { AsyncInvokeConfig } from './invoke-config.ts';
import type { FunctionPermission } from './permission.ts';

export interface LambdaSnapshot {
  version: 1;
  functions: FunctionDefinition[];
  permissions: FunctionPermission[];
  invokeConfigs: AsyncInvokeConfig[];
}

export class LambdaSnapshotError extends Error {
  override name = 'LambdaSnapshotError';
}

const definition = z.object({
  name: z.string(),
  arn: z.string(),
  account: z.string(),
  region: z.string(),
  role: z.string(),
  handler: z.string(),
  runtime: z.string(),
  code: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('bundle'), directory: z.string() }),
    z.object({ kind: z.literal('source'), entry: z.string() }),
  ]),
  environment: z.record(z.string(), z.string()),
  timeoutSeconds: z.number().int().min(1).max(900),
  memoryMb: z.number().int().min(128),
  reservedConcurrency: z.number().int().min(0).optional(),
  description: z.string(),
  architectures: z.array(z.string()),
  tracingMode: z.enum(['Active', 'PassThrough']),
  lastModified: z.string(),
});

const permission = z.object({
  id: z.string(),
  functionArn: z.string(),
  action: z.string(),
  principal: z.string(),
  sourceArn: z.string().optional(),
  sourceAccount: z.string().optional(),
});

const invokeConfig = z.object({
  id: z.string(),
  functionArn: z.string(),
  maximumRetryAttempts: z.number().int().min(0).max(2),
  maximumEventAgeSeconds: z.number().int().min(60).max(21_600),
  onFailure: z.string().optional(),
  onSuccess: z.string().optional(),
});

const snapshot = z.object({
  version: z.literal(1),
  functions: z.array(definition),
  permissions: z.array(permission),
  invokeConfigs: z.array(invokeConfig),
});

export function parseLambdaSnapshot(value: unknown): LambdaSnapshot {
  const parsed = snapshot.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LambdaSnapshotError(
      `the lambda section of the state file is not valid: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const { data } = parsed;
  return {
    version: 1,
    functions: data.functions.map((fn) => ({ ...fn, reservedConcurrency: fn.reservedConcurrency })),
    permissions: data.permissions.map((p) => ({
      ...p,
      sourceArn: p.sourceArn,
      sourceAccount: p.sourceAccount,
    })),
    invokeConfigs: data.invokeConfigs.map((c) => ({ ...c, onFailure: c.onFailure, onSuccess: c.onSuccess })),
  };
}
