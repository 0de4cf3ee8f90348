import type { EndpointServices, EndpointStates } from './ports.ts';

export interface EnrollDeps {
  endpointServices: EndpointServices;
  endpointStates: Pick<EndpointStates, 'acquireLease' | 'releaseLease'>;
  now: () => Date;
  /** Who holds the enrollment lease (the invocation). */
  holder: string;
}

const ENROLL_LEASE_MS = 60_000;

/**
 * Enrolls a service under a per-service lease: a sweep and a CloudTrail event that both
 * find a new service must not each create a connection notification. Returns what it
 * changed, or undefined when another enrollment of the service is under way.
 */
export async function enrollService(
  serviceId: string,
  ingestTopicArn: string,
  deps: EnrollDeps,
): Promise<string[] | undefined> {
  const lease = await deps.endpointStates.acquireLease(serviceId, deps.holder, deps.now(), ENROLL_LEASE_MS);
  if (!lease) return undefined;
  try {
    return (await deps.endpointServices.enroll(serviceId, ingestTopicArn)).changed;
  } finally {
    await deps.endpointStates.releaseLease(lease);
  }
}
