/**
 * Whether a service is managed, kept per container instead of described per event.
 * Every decide and ingest invocation asked EC2 (DescribeVpcEndpointServiceConfigurations)
 * before; the answer changes only when the provider tags, creates or modifies a service,
 * which CloudTrail tells ingest (a `fresh` check), or when the sweep lists the managed
 * services (which replaces what is known). An answer older than `maxAgeMs` is asked again,
 * so an untagging that no event reports is seen within that time.
 */

import type { Connection } from '../core/connection.ts';
import type {
  ActionResult,
  ConnectionFilter,
  ConnectionPage,
  EndpointServices,
  ManagedService,
} from './ports.ts';

const DEFAULT_MAX_AGE_MS = 60_000;

export class ManagedServiceCache implements EndpointServices {
  private readonly known = new Map<string, { managed: Promise<boolean>; at: number }>();

  constructor(
    private readonly inner: EndpointServices,
    private readonly options: { maxAgeMs?: number; now?: () => number } = {},
  ) {}

  isManaged(serviceId: string, options: { fresh?: boolean } = {}): Promise<boolean> {
    const now = this.now();
    const known = this.known.get(serviceId);
    if (known && !options.fresh && now - known.at < (this.options.maxAgeMs ?? DEFAULT_MAX_AGE_MS)) {
      return known.managed;
    }
    const managed = this.inner.isManaged(serviceId, { fresh: true });
    this.known.set(serviceId, { managed, at: now });
    // A fault is not an answer: the next caller asks again.
    managed.catch(() => {
      if (this.known.get(serviceId)?.managed === managed) this.known.delete(serviceId);
    });
    return managed;
  }

  /** The sweep's list is every managed service: what it names is managed, nothing else is. */
  async listManagedServices(): Promise<ManagedService[]> {
    const services = await this.inner.listManagedServices();
    const at = this.now();
    const listed = new Set(services.map((s) => s.serviceId));
    for (const serviceId of this.known.keys()) {
      if (!listed.has(serviceId)) this.known.set(serviceId, { managed: Promise.resolve(false), at });
    }
    for (const serviceId of listed) this.known.set(serviceId, { managed: Promise.resolve(true), at });
    return services;
  }

  describeConnections(serviceId: string, filter?: ConnectionFilter): Promise<Connection[]> {
    return this.inner.describeConnections(serviceId, filter);
  }

  pageConnections(serviceId: string, nextToken?: string, pageSize?: number): Promise<ConnectionPage> {
    return this.inner.pageConnections(serviceId, nextToken, pageSize);
  }

  connectionsOfServices(serviceIds: readonly string[]): Promise<Map<string, Connection[]>> {
    return this.inner.connectionsOfServices(serviceIds);
  }

  accept(serviceId: string, endpointIds: string[]): Promise<ActionResult> {
    return this.inner.accept(serviceId, endpointIds);
  }

  reject(serviceId: string, endpointIds: string[]): Promise<ActionResult> {
    return this.inner.reject(serviceId, endpointIds);
  }

  enroll(serviceId: string, ingestTopicArn: string): Promise<{ changed: string[] }> {
    return this.inner.enroll(serviceId, ingestTopicArn);
  }

  enrolledServices(services: readonly ManagedService[], ingestTopicArn: string): Promise<Set<string>> {
    return this.inner.enrolledServices(services, ingestTopicArn);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
