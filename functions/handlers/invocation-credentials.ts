/**
 * In Lambda every function has a container of its own, with its role's credentials in the
 * environment, and the SDK's default chain finds them. `plgate local` runs all the
 * functions in one process, so it runs each invocation inside
 * `invocationCredentials.run(credentials, …)`: the runtime then keeps one set of clients
 * per function, signed with that function's own role keys, as separate containers would,
 * and the local cloud authorises each call as that role.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { StaticCredentials } from '../aws/client-config.ts';

export const invocationCredentials = new AsyncLocalStorage<StaticCredentials>();
