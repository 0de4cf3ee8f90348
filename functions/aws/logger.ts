import type { Logger } from '@aws-lambda-powertools/logger';

/** The part of a Powertools Logger the adapters use: constant messages, data in fields. */
export type AdapterLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

const nothing = (): void => {};

/** For adapters built without a logger (tests, scripts). */
export const quietLogger: AdapterLogger = { debug: nothing, info: nothing, warn: nothing, error: nothing };
