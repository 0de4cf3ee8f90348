/**
 * A function's resource policy as `AWS::Lambda::Permission` resources build it: who may
 * invoke it. An AWS service (SNS, EventBridge, API Gateway) may invoke a function only
 * through a statement naming that service, and the source ARN and account it acts for.
 */
import type { PolicyDocument } from '../iam/authorizer.ts';
import type { InvokeSource } from '../service.ts';
import { functionArnFrom } from './definition.ts';

export interface FunctionPermission {
  /** The statement id (the permission's physical id). */
  id: string;
  functionArn: string;
  /** `lambda:InvokeFunction`, `lambda:*`, … */
  action: string;
  /** A service principal (`sns.amazonaws.com`), an account id, an ARN or `*`. */
  principal: string;
  /** May hold `*` and `?` wildcards, as ArnLike matches them. */
  sourceArn: string | undefined;
  sourceAccount: string | undefined;
}

export class PermissionDefinitionError extends Error {
  override name = 'PermissionDefinitionError';
}

const INVOKE_ACTIONS = new Set(['lambda:InvokeFunction', 'lambda:*', '*']);
const SERVICE_PRINCIPAL = /^[a-z0-9.-]+\.amazonaws\.com(?:\.cn)?$/;
const ACCOUNT_ID = /^[0-9]{12}$/;

function fail(logicalId: string, field: string, value: unknown, expected: string): never {
  throw new PermissionDefinitionError(
    `${logicalId} (AWS::Lambda::Permission): ${field} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`,
  );
}

const optionalString = (logicalId: string, field: string, value: unknown): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') fail(logicalId, field, value, 'a non-empty string');
  return value;
};

/** The permission an `AWS::Lambda::Permission` resource grants. */
export function permissionOf(
  properties: Record<string, unknown>,
  context: { logicalId: string; id: string; account: string; region: string },
): FunctionPermission {
  const { logicalId } = context;
  const action = properties.Action;
  if (typeof action !== 'string' || !/^(?:lambda:[A-Za-z*]+|\*)$/.test(action))
    fail(logicalId, 'Action', action, 'a Lambda action such as lambda:InvokeFunction');
  const reference = properties.FunctionName;
  const functionArn =
    typeof reference === 'string' ? functionArnFrom(reference, context.account, context.region) : undefined;
  if (functionArn === undefined)
    fail(logicalId, 'FunctionName', reference, 'a function name, partial ARN or function ARN');
  const principal = properties.Principal;
  if (typeof principal !== 'string' || principal === '')
    fail(logicalId, 'Principal', principal, 'a service principal, an account id or an ARN');
  return {
    id: context.id,
    functionArn,
    action,
    principal,
    sourceArn: optionalString(logicalId, 'SourceArn', properties.SourceArn),
    sourceAccount: optionalString(logicalId, 'SourceAccount', properties.SourceAccount),
  };
}

/** ArnLike: `*` any run of characters, `?` any one. */
export function arnLike(pattern: string, arn: string): boolean {
  const expression = pattern
    .split('')
    .map((character) =>
      character === '*' ? '.*' : character === '?' ? '.' : character.replace(/[\\^$.|+()[\]{}]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${expression}$`, 's').test(arn);
}

/** Whether one of the function's permissions lets the service `source` names invoke it. */
export function permitsService(
  permissions: Iterable<FunctionPermission>,
  source: Extract<InvokeSource, { kind: 'service' }>,
): boolean {
  for (const permission of permissions) {
    if (!INVOKE_ACTIONS.has(permission.action)) continue;
    if (permission.principal !== source.principal && permission.principal !== '*') continue;
    if (permission.sourceArn !== undefined && !arnLike(permission.sourceArn, source.sourceArn)) continue;
    if (permission.sourceAccount !== undefined && permission.sourceAccount !== source.sourceAccount) continue;
    return true;
  }
  return false;
}

/**
 * The function's resource policy as `GetPolicy` shows it and IAM judges a caller against it:
 * one statement per permission, an account id as its root's ARN.
 */
export function resourcePolicyOf(
  functionArn: string,
  permissions: Iterable<FunctionPermission>,
): PolicyDocument | undefined {
  const statements: Record<string, unknown>[] = [];
  for (const permission of permissions) {
    const principal = SERVICE_PRINCIPAL.test(permission.principal)
      ? { Service: permission.principal }
      : permission.principal === '*'
        ? '*'
        : {
            AWS: ACCOUNT_ID.test(permission.principal)
              ? `arn:aws:iam::${permission.principal}:root`
              : permission.principal,
          };
    const condition: Record<string, Record<string, string>> = {};
    if (permission.sourceArn !== undefined) condition.ArnLike = { 'AWS:SourceArn': permission.sourceArn };
    if (permission.sourceAccount !== undefined)
      condition.StringEquals = { 'AWS:SourceAccount': permission.sourceAccount };
    statements.push({
      Sid: permission.id,
      Effect: 'Allow',
      Principal: principal,
      Action: permission.action,
      Resource: functionArn,
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    });
  }
  if (statements.length === 0) return undefined;
  return { Version: '2012-10-17', Id: 'default', Statement: statements };
}

/** The statements IAM judges a signed caller by: those naming accounts, roles or users, not services. */
export function callerPolicyOf(
  functionArn: string,
  permissions: Iterable<FunctionPermission>,
): PolicyDocument | undefined {
  return resourcePolicyOf(
    functionArn,
    [...permissions].filter((permission) => !SERVICE_PRINCIPAL.test(permission.principal)),
  );
}
