/**
 * Condition expressions evaluated without writing, for TransactWriteItems
 * (which dynalite does not implement). This borrows dynalite's own expression
 * parser and evaluator, so a transaction's conditions mean exactly what they mean
 * in PutItem/UpdateItem/DeleteItem on the same engine.
 */
import { createRequire } from 'node:module';
import type { AttributeMap } from './streams.ts';

interface DynaliteValidations {
  checkTypes(data: unknown, types: unknown): unknown;
  checkValidations(data: unknown, types: unknown, custom: unknown, store: unknown): void;
}
interface DynaliteActionValidation {
  types: unknown;
  custom: unknown;
}
interface DynaliteDb {
  checkConditional(data: unknown, existingItem: unknown): unknown;
}

/** An error dynalite raises with the HTTP answer attached. */
export interface DynaliteHttpError {
  statusCode: number;
  body: unknown;
}

const hasFunction = (value: unknown, name: string): boolean =>
  typeof value === 'object' &&
  value !== null &&
  typeof new Map(Object.entries(value)).get(name) === 'function';

function isValidations(value: unknown): value is DynaliteValidations {
  return hasFunction(value, 'checkTypes') && hasFunction(value, 'checkValidations');
}
function isActionValidation(value: unknown): value is DynaliteActionValidation {
  return typeof value === 'object' && value !== null && 'types' in value && 'custom' in value;
}
function isDb(value: unknown): value is DynaliteDb {
  return hasFunction(value, 'checkConditional');
}

export function isDynaliteHttpError(value: unknown): value is DynaliteHttpError {
  return (
    typeof value === 'object' &&
    value !== null &&
    'statusCode' in value &&
    typeof value.statusCode === 'number' &&
    'body' in value
  );
}

export class DynaliteInternalsError extends Error {
  override name = 'DynaliteInternalsError';
}

const require = createRequire(import.meta.url);
const load = <T>(path: string, guard: (value: unknown) => value is T): T => {
  const loaded: unknown = require(path);
  if (!guard(loaded))
    throw new DynaliteInternalsError(`dynalite module ${path} does not have the expected shape`);
  return loaded;
};

const validations = load('dynalite/validations/index.js', isValidations);
// DeleteItem's request is exactly "a table, a key and a condition", the shape of a ConditionCheck.
const deleteItemValidation = load('dynalite/validations/deleteItem.js', isActionValidation);
const db = load('dynalite/db/index.js', isDb);

export interface ConditionInput {
  TableName: string;
  Key: AttributeMap;
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: AttributeMap;
}

/** Placeholders the expression uses; dynalite rejects unused names and values, as DynamoDB does. */
function used<T>(placeholders: Record<string, T> | undefined, expression: string, sigil: '#' | ':') {
  if (placeholders === undefined) return undefined;
  const referenced = new Set(expression.match(sigil === '#' ? /#[A-Za-z0-9_]+/g : /:[A-Za-z0-9_]+/g) ?? []);
  const kept = Object.fromEntries(Object.entries(placeholders).filter(([name]) => referenced.has(name)));
  return Object.keys(kept).length === 0 ? undefined : kept;
}

/**
 * Whether `condition` holds for `existingItem` (undefined: no item). Throws a
 * `DynaliteHttpError` (a ValidationException) when the expression is invalid.
 */
export function conditionHolds(condition: ConditionInput, existingItem: AttributeMap | undefined): boolean {
  const request = {
    TableName: condition.TableName,
    Key: condition.Key,
    ConditionExpression: condition.ConditionExpression,
    ExpressionAttributeNames: used(condition.ExpressionAttributeNames, condition.ConditionExpression, '#'),
    ExpressionAttributeValues: used(condition.ExpressionAttributeValues, condition.ConditionExpression, ':'),
  };
  const data = validations.checkTypes(request, deleteItemValidation.types);
  validations.checkValidations(data, deleteItemValidation.types, deleteItemValidation.custom, undefined);
  return db.checkConditional(data, existingItem) == null;
}
