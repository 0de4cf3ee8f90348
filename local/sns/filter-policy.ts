/**
 * SNS subscription filter policies: a message reaches a subscription only when every key
 * of the policy matches (message attributes, or the JSON body with `FilterPolicyScope:
 * MessageBody`). Values: exact strings and numbers, `prefix`, `suffix`,
 * `equals-ignore-case`, `anything-but` (values or a prefix), `numeric` ranges, `exists`;
 * `$or` alternatives. Pure.
 */

type Condition = unknown;

export class FilterPolicyError extends Error {
  override name = 'FilterPolicyError';
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether `message` (attribute name -> value, or a parsed body) passes `policy`. */
export function matchesFilterPolicy(
  policy: Record<string, unknown>,
  message: Record<string, unknown>,
): boolean {
  return Object.entries(policy).every(([key, conditions]) => {
    if (key === '$or') {
      if (!Array.isArray(conditions)) throw new FilterPolicyError('$or takes a list of policies');
      return conditions.some(
        (alternative) => isObject(alternative) && matchesFilterPolicy(alternative, message),
      );
    }
    const value = message[key];
    if (isObject(conditions)) {
      // Nested (MessageBody scope): the policy goes on into the object.
      return isObject(value) && matchesFilterPolicy(conditions, value);
    }
    if (!Array.isArray(conditions)) throw new FilterPolicyError(`the conditions of ${key} must be a list`);
    return conditions.some((condition) => matchesCondition(condition, value));
  });
}

function matchesCondition(condition: Condition, value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value];
  if (!isObject(condition)) {
    if (value === undefined) return false;
    return values.some((v) => v === condition || (typeof condition === 'number' && Number(v) === condition));
  }
  const [[operator, operand] = ['', undefined]] = Object.entries(condition);
  switch (operator) {
    case 'exists':
      return operand === true ? value !== undefined : value === undefined;
    case 'prefix':
      return values.some((v) => typeof v === 'string' && v.startsWith(String(operand)));
    case 'suffix':
      return values.some((v) => typeof v === 'string' && v.endsWith(String(operand)));
    case 'equals-ignore-case':
      return values.some((v) => typeof v === 'string' && v.toLowerCase() === String(operand).toLowerCase());
    case 'anything-but': {
      if (value === undefined) return false;
      if (isObject(operand) && 'prefix' in operand)
        return values.every((v) => !(typeof v === 'string' && v.startsWith(String(operand.prefix))));
      const excluded = Array.isArray(operand) ? operand : [operand];
      return values.every(
        (v) => !excluded.some((e) => e === v || (typeof e === 'number' && Number(v) === e)),
      );
    }
    case 'numeric': {
      if (!Array.isArray(operand)) throw new FilterPolicyError('numeric takes [operator, value, …]');
      return values.some((v) => {
        const n = Number(v);
        if (v === undefined || Number.isNaN(n)) return false;
        for (let i = 0; i + 1 < operand.length; i += 2) {
          const bound = Number(operand[i + 1]);
          const holds = {
            '=': n === bound,
            '<': n < bound,
            '<=': n <= bound,
            '>': n > bound,
            '>=': n >= bound,
          }[String(operand[i]) as '='];
          if (holds !== true) return false;
        }
        return true;
      });
    }
    default:
      throw new FilterPolicyError(`unknown filter operator ${operator}`);
  }
}
