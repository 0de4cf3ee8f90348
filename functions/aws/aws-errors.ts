/** Reading AWS SDK v3 errors without trusting their shape. */

/** The service error code (`name` in SDK v3, `Code`/`code` in some parsed shapes), or undefined. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  for (const key of ['name', 'Code', 'code'] as const) {
    const value: unknown = Reflect.get(error, key);
    if (typeof value === 'string' && value !== '' && value !== 'Error') return value;
  }
  return undefined;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null) {
    const message: unknown = Reflect.get(error, 'message');
    if (typeof message === 'string') return message;
  }
  return String(error);
}

export const isConditionalCheckFailed = (error: unknown): boolean =>
  errorCode(error) === 'ConditionalCheckFailedException';
