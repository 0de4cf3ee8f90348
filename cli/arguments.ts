/** Checks of command-line values; a bad one is a usage error naming the flag and the value. */
import { PATTERNS } from '../functions/core/rules/schema.ts';
import { UsageError } from './exit.ts';

function check(what: string, pattern: RegExp, example: string) {
  return (value: string): string => {
    if (!pattern.test(value)) throw new UsageError(`${what} must look like ${example}, got '${value}'`);
    return value;
  };
}

export const endpointIdArgument = check('the endpoint id', PATTERNS.endpoint, 'vpce-0123456789abcdef0');
export const serviceIdOption = check('--service', PATTERNS.service, 'vpce-svc-0123456789abcdef0');
export const accountOption = check('--account', PATTERNS.account, '111122223333');

export function positiveInteger(flag: string, text: string, max = 999_999): number {
  if (!/^[1-9]\d{0,5}$/.test(text) || Number(text) > max)
    throw new UsageError(`${flag} must be a whole number from 1 to ${max}, got '${text}'`);
  return Number(text);
}
