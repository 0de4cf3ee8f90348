/**
 * A fleet's endpoint services behind the one port the gate decides through: each service is
 * routed to the member account and region it lives in (learned from the members' listings and
 * from the events that name it), and each call goes to that member's EC2 with its spoke role's
 * credentials (MemberEc2). The core never sees an account to assume: it sees services, and
 * connections stamped with where they live.
 */
import type { Connection, ServicePlace } from '../core/connection.ts';
import type {
  ActionResult,
  ConnectionFilter,
  ConnectionPage,
  EndpointServices,
  ManagedService,
} from '../gate/ports.ts';
import { spokeTopicArn } from '../shared/fleet.ts';
import { errorCode, errorMessage } from './aws-errors.ts';
import { MemberUnreachableError } from './member-credentials.ts';

/** Error codes that say the hub may not act in the member (its spoke or role is missing or wrong), not that EC2 failed. */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthFailure',
  'InvalidClientTokenId',
  'ExpiredToken',
  'OptInRequired',
]);

/** True when the error says the member cannot be reached (as opposed to a fault worth retrying). */
export function isMemberUnreachable(error: unknown): boolean {
  if (error instanceof MemberUnreachableError) return true;
  const code = errorCode(error);
  return code !== undefined && UNREACHABLE_CODES.has(code);
}

/** A service none of the members' listings holds: nothing is done to it (fail closed). */
export class ServiceNotInFleetError extends Error {
  override name = 'ServiceNotInFleetError';
}

export interface MemberEc2Source {
  endpointServicesFor(account: string, region: string): EndpointServices;
}

/** What the last listing of a member found. */
export type MemberListing =
  | { account: string; region: string; ok: true; services: string[] }
  | { account: string; region: string; ok: false; unreachable: boolean; reason: string };

export interface FleetEndpointServicesOptions {
  /** The members to list: the listed ones and the organizational units' accounts (gate/fleet-members.ts). */
  members: () => Promise<ServicePlace[]> | ServicePlace[];
  ec2: MemberEc2Source;
  spokeRoleName: string;
  partition?: string;
  log?: (message: string, data: Record<string, unknown>) => void;
}

const keyOf = ({ account, region }: ServicePlace): string => `${account}:${region}`;

export class FleetEndpointServices implements EndpointServices {
  readonly #options: FleetEndpointServicesOptions;
  readonly #where = new Map<string, ServicePlace>();
  #listings: MemberListing[] = [];

  constructor(options: FleetEndpointServicesOptions) {
    this.#options = options;
  }

  /** Tells the router where a service lives (a spoke's event says so). */
  locate(serviceId: string, place: ServicePlace): void {
    this.#where.set(serviceId, { account: place.account, region: place.region });
  }

  /** Where a service lives, if known. */
  placeOf(serviceId: string): ServicePlace | undefined {
    return this.#where.get(serviceId);
  }

  /** What the last listManagedServices found in each member. */
  listings(): readonly MemberListing[] {
    return this.#listings;
  }

  /** Every member's managed services; a member that fails is skipped (and reported in `listings`), the others go on. */
  async listManagedServices(): Promise<ManagedService[]> {
    const members = await this.#options.members();
    const results = await Promise.all(
      members.map(async (member): Promise<{ listing: MemberListing; services: ManagedService[] }> => {
        try {
          const services = await this.#ec2(member).listManagedServices();
          for (const service of services) this.locate(service.serviceId, member);
          return {
            listing: { ...member, ok: true, services: services.map((s) => s.serviceId) },
            services,
          };
        } catch (error) {
          const listing: MemberListing = {
            ...member,
            ok: false,
            unreachable: isMemberUnreachable(error),
            reason: `${errorCode(error) ?? 'Error'}: ${errorMessage(error)}`,
          };
          this.#options.log?.('fleet member not listed', { ...member, reason: listing.reason });
          return { listing, services: [] };
        }
      }),
    );
    this.#listings = results.map((r) => r.listing);
    return results.flatMap((r) => r.services);
  }

  async describeConnections(serviceId: string, filter?: ConnectionFilter): Promise<Connection[]> {
    return (await this.#route(serviceId)).describeConnections(serviceId, filter);
  }

  async pageConnections(serviceId: string, nextToken?: string, pageSize?: number): Promise<ConnectionPage> {
    return (await this.#route(serviceId)).pageConnections(serviceId, nextToken, pageSize);
  }

  async accept(serviceId: string, endpointIds: string[]): Promise<ActionResult> {
    return (await this.#route(serviceId)).accept(serviceId, endpointIds);
  }

  async reject(serviceId: string, endpointIds: string[]): Promise<ActionResult> {
    return (await this.#route(serviceId)).reject(serviceId, endpointIds);
  }

  async isManaged(serviceId: string, options?: { fresh?: boolean }): Promise<boolean> {
    const place = await this.#find(serviceId);
    if (place === undefined) return false;
    return this.#ec2(place).isManaged(serviceId, options);
  }

  /** A member's service notifies its own spoke's topic, which the hub's queue is subscribed to. */
  async enroll(serviceId: string, _hubTopicArn: string): Promise<{ changed: string[] }> {
    const place = await this.#need(serviceId);
    return this.#ec2(place).enroll(serviceId, this.#spokeTopicOf(place));
  }

  /**
   * Each member's services asked of that member with its spoke's topic, members side by side;
   * a member that cannot answer has none enrolled (the sweep's enrollment of each then says why).
   */
  async enrolledServices(services: readonly ManagedService[], _hubTopicArn: string): Promise<Set<string>> {
    const byId = new Map(services.map((s) => [s.serviceId, s]));
    const answers = await Promise.all(
      [...this.#byMember([...byId.keys()]).values()].map(({ place, ids }) =>
        this.#ec2(place)
          .enrolledServices(
            ids.flatMap((id) => byId.get(id) ?? []),
            this.#spokeTopicOf(place),
          )
          .catch((error: unknown) => {
            this.#options.log?.('fleet member enrollment not read', {
              ...place,
              reason: `${errorCode(error) ?? 'Error'}: ${errorMessage(error)}`,
            });
            return new Set<string>();
          }),
      ),
    );
    return new Set(answers.flatMap((answer) => [...answer]));
  }

  /** Each member's services asked of that member, members side by side; one that cannot answer has its services paged on their own. */
  async connectionsOfServices(serviceIds: readonly string[]): Promise<Map<string, Connection[]>> {
    const answers = await Promise.all(
      [...this.#byMember(serviceIds).values()].map(({ place, ids }) =>
        this.#ec2(place)
          .connectionsOfServices(ids)
          .catch(() => new Map<string, Connection[]>()),
      ),
    );
    return new Map(answers.flatMap((answer) => [...answer]));
  }

  /** The services grouped by the member they live in; services of no known member are left out. */
  #byMember(serviceIds: readonly string[]): Map<string, { place: ServicePlace; ids: string[] }> {
    const byMember = new Map<string, { place: ServicePlace; ids: string[] }>();
    for (const id of serviceIds) {
      const place = this.#where.get(id);
      if (place === undefined) continue;
      const group = byMember.get(keyOf(place)) ?? { place, ids: [] };
      group.ids.push(id);
      byMember.set(keyOf(place), group);
    }
    return byMember;
  }

  #spokeTopicOf(place: ServicePlace): string {
    return spokeTopicArn(
      this.#options.partition ?? 'aws',
      place.account,
      place.region,
      this.#options.spokeRoleName,
    );
  }

  #ec2(place: ServicePlace): EndpointServices {
    return this.#options.ec2.endpointServicesFor(place.account, place.region);
  }

  async #route(serviceId: string): Promise<EndpointServices> {
    return this.#ec2(await this.#need(serviceId));
  }

  async #need(serviceId: string): Promise<ServicePlace> {
    const place = await this.#find(serviceId);
    if (place === undefined)
      throw new ServiceNotInFleetError(`${serviceId} is not a managed service of any reachable fleet member`);
    return place;
  }

  /** Known, or looked for once in every member's listing. */
  async #find(serviceId: string): Promise<ServicePlace | undefined> {
    const known = this.#where.get(serviceId);
    if (known !== undefined) return known;
    const members = await this.#options.members();
    if (members.length === 1 && members[0]) return members[0];
    await this.listManagedServices();
    return this.#where.get(serviceId);
  }
}

export { keyOf as memberKey };
