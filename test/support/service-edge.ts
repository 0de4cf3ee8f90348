/**
 * A bare edge port around one local service (test/support/service-server.ts), under the
 * name the SQS and event-source tests use.
 */
import type { LocalRoles } from '../../local/identity.ts';
import type { LocalService } from '../../local/service.ts';
import { startServiceServer } from './service-server.ts';

export interface ServiceEdge {
  endpoint: string;
  close(): Promise<void>;
}

export function serveLocalService(
  service: LocalService,
  options: { account: string; roles: LocalRoles },
): Promise<ServiceEdge> {
  return startServiceServer(service, options.account, options.roles);
}
