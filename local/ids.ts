import { randomBytes, randomUUID } from 'node:crypto';

/** `prefix-` + 17 lowercase hex digits, the shape of current EC2 resource ids. */
export function resourceId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

export function requestId(): string {
  return randomUUID();
}
