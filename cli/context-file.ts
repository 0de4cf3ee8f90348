/**
 * The `--context` file of `plgate evaluate`: what the engine cannot know offline.
 *
 *   { "organizations": { "<account>": { "organizationId": "o-…", "ouIds": ["ou-…"] } },
 *     "liveEndpoints": { "<serviceId>": { "<account>": 2 } },
 *     "serviceRegion": "us-east-1" }
 *
 * An account missing from `organizations` has an unknown organization, and one missing
 * from `liveEndpoints` an unknown count: conditions that need them are undetermined.
 * Without `serviceRegion`, the region of the connection's load balancers (the service's),
 * else AWS_REGION, is the service's region.
 */
import { z } from 'zod';
import type { Connection } from '../functions/core/connection.ts';
import type { EvaluationContext } from '../functions/core/evaluation-context.ts';
import { issuesToProblems } from '../functions/core/rules/problems.ts';
import {
  AccountIdSchema,
  OrganizationalUnitIdSchema,
  OrganizationIdSchema,
  RegionSchema,
  ServiceIdSchema,
} from '../functions/core/rules/schema.ts';

export const ContextFileSchema = z.strictObject({
  organizations: z
    .record(
      AccountIdSchema,
      z.strictObject({
        organizationId: OrganizationIdSchema,
        ouIds: z.array(OrganizationalUnitIdSchema),
      }),
    )
    .optional(),
  liveEndpoints: z
    .record(
      ServiceIdSchema,
      z.record(
        AccountIdSchema,
        z.int({ error: 'must be a whole number' }).min(0, { error: 'must not be negative' }),
      ),
    )
    .optional(),
  serviceRegion: z.optional(RegionSchema),
});
export type ContextFile = z.infer<typeof ContextFileSchema>;

export class ContextFileError extends Error {
  override name = 'ContextFileError';
}

/** Validates a parsed context file; the error lists every problem with its field path and value. */
export function parseContextFile(value: unknown, source: string): ContextFile {
  const parsed = ContextFileSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const lines = issuesToProblems(parsed.error.issues, value, { source }).map(
    (problem) => `${source}: ${problem.path ? `${problem.path}: ` : ''}${problem.message}`,
  );
  throw new ContextFileError(lines.join('\n'));
}

/** The evaluation context of one connection. */
export function contextFor(
  connection: Connection,
  now: Date,
  file: ContextFile | undefined,
): EvaluationContext {
  const context: EvaluationContext = { now };
  const organization = file?.organizations?.[connection.account];
  if (organization) context.organization = organization;
  const live = file?.liveEndpoints?.[connection.serviceId]?.[connection.account];
  if (live !== undefined) context.liveEndpoints = live;
  // Else the region the connection carries: a service's load balancers live in its region.
  // Else the region the provider works in, as the gate's Lambdas assume.
  const serviceRegion =
    file?.serviceRegion ??
    loadBalancerRegion(connection) ??
    nonEmpty(process.env.AWS_REGION) ??
    nonEmpty(process.env.AWS_DEFAULT_REGION);
  if (serviceRegion !== undefined) context.serviceRegion = serviceRegion;
  return context;
}

const LOAD_BALANCER_REGION = /^arn:aws[a-z-]*:elasticloadbalancing:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):/;

/** The region of the service's load balancers, when the connection lists them and they agree. */
function loadBalancerRegion(connection: Connection): string | undefined {
  const regions = new Set(
    connection.loadBalancerArns.flatMap((arn) => LOAD_BALANCER_REGION.exec(arn)?.[1] ?? []),
  );
  return regions.size === 1 ? [...regions][0] : undefined;
}

const nonEmpty = (value: string | undefined) => (value === '' ? undefined : value);
