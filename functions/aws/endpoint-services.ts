/**
 * The provider side of EC2's endpoint-service API: read connections, accept and reject
 * them in batches, list and enroll managed services. Every EC2 call of one adapter goes
 * through one client-side rate limiter, because EC2 throttles per account and region.
 */
import {
  AcceptVpcEndpointConnectionsCommand,
  type ConnectionNotification,
  CreateVpcEndpointConnectionNotificationCommand,
  DescribeVpcEndpointConnectionNotificationsCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  type EC2Client,
  type Filter,
  ModifyVpcEndpointConnectionNotificationCommand,
  ModifyVpcEndpointServiceConfigurationCommand,
  RejectVpcEndpointConnectionsCommand,
  type ServiceConfiguration,
  type UnsuccessfulItem,
  type VpcEndpointConnection,
} from '@aws-sdk/client-ec2';
import { type Connection, inPlace, parseConnection, type ServicePlace } from '../core/connection.ts';
import type {
  ActionFailure,
  ActionResult,
  ConnectionFilter,
  ConnectionPage,
  EndpointServices,
  ManagedService,
} from '../gate/ports.ts';
import { MANAGED_TAG } from '../shared/tables.ts';
import { errorCode, errorMessage } from './aws-errors.ts';
import { backoffDelay, chunk, type RetryPolicy, retryPolicy } from './batch-retry.ts';
import { type AdapterLogger, quietLogger } from './logger.ts';
import { type RateLimiter, TokenBucket } from './token-bucket.ts';

/** The events a managed service's connection notification must carry. */
export const CONNECTION_NOTIFICATION_EVENTS = ['Connect', 'Accept', 'Reject', 'Delete'] as const;

/** Per-endpoint error codes in `Unsuccessful` that are worth another try. */
const RETRYABLE_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'Unavailable',
]);
export const isRetryableUnsuccessful = (code: string): boolean =>
  RETRYABLE_CODES.has(code) || code.includes('Throttl');

const MAX_PAGE = 1000;
const MIN_PAGE = 5;
/** EC2 documents no maximum of endpoint ids per accept/reject call; 100 keeps a call's work small. */
const DEFAULT_BATCH_SIZE = 100;
/**
 * Filter values per call, all filters together (EC2 answers FilterLimitExceeded past it);
 * larger id sets are described in several calls.
 */
export const MAX_FILTER_VALUES = 200;
/** EC2's default bucket for mutating VPC actions is about 20 requests per second per account. */
const DEFAULT_REQUESTS_PER_SECOND = 20;

const SERVICE_ID = /^vpce-svc-[0-9a-zA-Z]+$/;
const ENDPOINT_ID = /^vpce-[0-9a-zA-Z]+$/;
const ACCOUNT_ID = /^\d{12}$/;

export class EndpointServicesError extends Error {
  override name = 'EndpointServicesError';
}

export interface Ec2EndpointServicesOptions {
  /** Requests per second across all EC2 calls of this adapter (default 20). */
  requestsPerSecond?: number;
  /** Endpoint ids per accept/reject call (default 100). */
  batchSize?: number;
  logger?: AdapterLogger;
  /** Retries of retryable `Unsuccessful` items. */
  retry?: Partial<RetryPolicy>;
  /** Share one limiter between adapters that use the same account and region. */
  limiter?: RateLimiter;
  /**
   * The provider account and region this client's calls reach (a fleet member's, or the
   * gate's own): stamped on every connection read as its service's account and region.
   */
  place?: ServicePlace;
}

type Action = 'accept' | 'reject';

export class Ec2EndpointServices implements EndpointServices {
  readonly #ec2: EC2Client;
  readonly #limiter: RateLimiter;
  readonly #batchSize: number;
  readonly #logger: AdapterLogger;
  readonly #retry: RetryPolicy;
  readonly #place: ServicePlace | undefined;

  constructor(ec2: EC2Client, options: Ec2EndpointServicesOptions = {}) {
    const rate = options.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND;
    if (!(rate > 0) || !Number.isFinite(rate)) {
      throw new RangeError(`requestsPerSecond must be a positive number, got ${rate}`);
    }
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) {
      throw new RangeError(`batchSize must be a whole number from 1 to 1000, got ${batchSize}`);
    }
    this.#ec2 = ec2;
    this.#limiter = options.limiter ?? new TokenBucket({ ratePerSecond: rate });
    this.#batchSize = batchSize;
    this.#logger = options.logger ?? quietLogger;
    this.#retry = retryPolicy(options.retry);
    this.#place = options.place;
  }

  async describeConnections(serviceId: string, filter: ConnectionFilter = {}): Promise<Connection[]> {
    checkServiceId(serviceId);
    const { endpointIds, account } = filter;
    for (const id of endpointIds ?? []) checkId('endpointIds', id, ENDPOINT_ID);
    if (account !== undefined) checkId('account', account, ACCOUNT_ID);
    if (endpointIds !== undefined && endpointIds.length === 0) return [];

    const base: Filter[] = [{ Name: 'service-id', Values: [serviceId] }];
    if (account !== undefined) base.push({ Name: 'vpc-endpoint-owner', Values: [account] });
    const filterSets =
      endpointIds === undefined
        ? [base]
        : // The service and owner filters' values count toward the call's limit too.
          chunk([...new Set(endpointIds)], MAX_FILTER_VALUES - base.length).map((ids) => [
            ...base,
            { Name: 'vpc-endpoint-id', Values: ids },
          ]);

    const wanted = endpointIds === undefined ? undefined : new Set(endpointIds);
    const connections: Connection[] = [];
    for (const filters of filterSets) {
      let nextToken: string | undefined;
      do {
        const page = await this.#describePage(filters, nextToken, MAX_PAGE);
        for (const connection of page.connections) connections.push(connection);
        nextToken = page.nextToken;
      } while (nextToken !== undefined);
    }
    // The filters narrow on the server; these checks keep the answer right if one is ignored.
    return connections.filter(
      (c) =>
        c.serviceId === serviceId &&
        (wanted === undefined || wanted.has(c.endpointId)) &&
        (account === undefined || c.account === account),
    );
  }

  async pageConnections(serviceId: string, nextToken?: string, pageSize = MAX_PAGE): Promise<ConnectionPage> {
    checkServiceId(serviceId);
    if (!Number.isInteger(pageSize) || pageSize < 1) {
      throw new EndpointServicesError(`pageSize must be a positive whole number, got ${pageSize}`);
    }
    const size = Math.min(MAX_PAGE, Math.max(MIN_PAGE, pageSize));
    const page = await this.#describePage([{ Name: 'service-id', Values: [serviceId] }], nextToken, size);
    return {
      connections: page.connections.filter((c) => c.serviceId === serviceId),
      ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
    };
  }

  async connectionsOfServices(serviceIds: readonly string[]): Promise<Map<string, Connection[]>> {
    const whole = new Map<string, Connection[]>();
    for (const id of serviceIds) checkServiceId(id);
    // More services than one call's filter takes: each is paged on its own.
    if (serviceIds.length === 0 || serviceIds.length > MAX_FILTER_VALUES) return whole;
    const page = await this.#describePage(
      [{ Name: 'service-id', Values: [...serviceIds] }],
      undefined,
      MAX_PAGE,
    );
    // More than a page: the services are paged on their own, as large ones must be.
    if (page.nextToken !== undefined) return whole;
    for (const id of serviceIds) whole.set(id, []);
    for (const connection of page.connections) whole.get(connection.serviceId)?.push(connection);
    return whole;
  }

  accept(serviceId: string, endpointIds: string[]): Promise<ActionResult> {
    return this.#act('accept', serviceId, endpointIds);
  }

  reject(serviceId: string, endpointIds: string[]): Promise<ActionResult> {
    return this.#act('reject', serviceId, endpointIds);
  }

  async listManagedServices(): Promise<ManagedService[]> {
    const services: ManagedService[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.#call(() =>
        this.#ec2.send(
          new DescribeVpcEndpointServiceConfigurationsCommand({
            Filters: [{ Name: `tag:${MANAGED_TAG.key}`, Values: [MANAGED_TAG.value] }],
            MaxResults: MAX_PAGE,
            ...(nextToken === undefined ? {} : { NextToken: nextToken }),
          }),
        ),
      );
      for (const configuration of out.ServiceConfigurations ?? []) {
        const service = toManagedService(configuration);
        if (service === undefined) {
          this.#logger.warn('service configuration dropped: no service id', { configuration });
        } else if (service.tags[MANAGED_TAG.key] !== MANAGED_TAG.value) {
          this.#logger.warn('service without the managed tag returned by the tag filter', {
            serviceId: service.serviceId,
          });
        } else if (isGone(configuration)) {
          this.#logger.info('managed service skipped: not in service', {
            serviceId: service.serviceId,
            serviceState: configuration.ServiceState,
          });
        } else {
          services.push(service);
        }
      }
      nextToken = nonEmpty(out.NextToken);
    } while (nextToken !== undefined);
    return services;
  }

  async isManaged(serviceId: string): Promise<boolean> {
    if (!SERVICE_ID.test(serviceId)) return false;
    const configuration = await this.#describeService(serviceId);
    if (configuration === undefined || isGone(configuration)) return false;
    return tagsOf(configuration)[MANAGED_TAG.key] === MANAGED_TAG.value;
  }

  async enroll(serviceId: string, ingestTopicArn: string): Promise<{ changed: string[] }> {
    checkServiceId(serviceId);
    if (!/^arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/.test(ingestTopicArn)) {
      throw new EndpointServicesError(`ingestTopicArn must be an SNS topic ARN, got "${ingestTopicArn}"`);
    }
    const configuration = await this.#describeService(serviceId);
    if (configuration === undefined) {
      throw new EndpointServicesError(`endpoint service ${serviceId} was not found`);
    }
    const changed: string[] = [];
    if (configuration.AcceptanceRequired !== true) {
      await this.#call(() =>
        this.#ec2.send(
          new ModifyVpcEndpointServiceConfigurationCommand({
            ServiceId: serviceId,
            AcceptanceRequired: true,
          }),
        ),
      );
      changed.push('acceptance-required');
      this.#logger.info('acceptance required turned on', { serviceId });
    }

    const notifications = (await this.#notificationsOf([serviceId])).filter(
      (n) => n.ConnectionNotificationArn === ingestTopicArn,
    );
    if (notifications.length === 0) {
      await this.#call(() =>
        this.#ec2.send(
          new CreateVpcEndpointConnectionNotificationCommand({
            ServiceId: serviceId,
            ConnectionNotificationArn: ingestTopicArn,
            ConnectionEvents: [...CONNECTION_NOTIFICATION_EVENTS],
          }),
        ),
      );
      changed.push('notification-created');
      this.#logger.info('connection notification created', { serviceId, ingestTopicArn });
      return { changed };
    }

    for (const notification of notifications) {
      const events = notification.ConnectionEvents ?? [];
      const missing = missingEvents(notification);
      const id = notification.ConnectionNotificationId;
      if (missing.length > 0 && id !== undefined) {
        await this.#call(() =>
          this.#ec2.send(
            new ModifyVpcEndpointConnectionNotificationCommand({
              ConnectionNotificationId: id,
              ConnectionEvents: [...new Set([...events, ...CONNECTION_NOTIFICATION_EVENTS])],
            }),
          ),
        );
        changed.push('notification-events');
        this.#logger.info('connection notification events added', { serviceId, notificationId: id, missing });
      }
      if (notification.ConnectionNotificationState === 'Disabled') {
        // EC2 disables a notification it cannot deliver (topic policy); only a fix of the topic re-enables it.
        this.#logger.warn('connection notification is disabled', {
          serviceId,
          notificationId: id,
          ingestTopicArn,
        });
      }
    }
    return { changed };
  }

  async enrolledServices(services: readonly ManagedService[], ingestTopicArn: string): Promise<Set<string>> {
    const enrolled = new Set<string>();
    const candidates = services.filter((s) => s.acceptanceRequired).map((s) => s.serviceId);
    for (const id of candidates) checkServiceId(id);
    for (const batch of chunk(candidates, MAX_FILTER_VALUES)) {
      const notifications = await this.#notificationsOf(batch);
      for (const serviceId of batch) {
        if (
          isEnrolledWith(
            notifications.filter((n) => n.ServiceId === serviceId),
            ingestTopicArn,
          )
        )
          enrolled.add(serviceId);
      }
    }
    return enrolled;
  }

  async #describePage(
    filters: Filter[],
    nextToken: string | undefined,
    maxResults: number,
  ): Promise<ConnectionPage> {
    const out = await this.#call(() =>
      this.#ec2.send(
        new DescribeVpcEndpointConnectionsCommand({
          Filters: filters,
          MaxResults: maxResults,
          ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        }),
      ),
    );
    const connections: Connection[] = [];
    for (const raw of out.VpcEndpointConnections ?? []) {
      const connection = this.#parse(raw);
      if (connection !== undefined) connections.push(connection);
    }
    const next = nonEmpty(out.NextToken);
    return { connections, ...(next === undefined ? {} : { nextToken: next }) };
  }

  #parse(raw: VpcEndpointConnection): Connection | undefined {
    try {
      const connection = parseConnection(raw);
      return this.#place === undefined ? connection : inPlace(connection, this.#place);
    } catch (error) {
      this.#logger.warn('connection dropped: unparseable', {
        serviceId: raw.ServiceId,
        endpointId: raw.VpcEndpointId,
        reason: errorMessage(error),
      });
      return undefined;
    }
  }

  async #act(action: Action, serviceId: string, endpointIds: string[]): Promise<ActionResult> {
    checkServiceId(serviceId);
    for (const id of endpointIds) checkId('endpointIds', id, ENDPOINT_ID);
    const succeeded: string[] = [];
    const failed: ActionFailure[] = [];
    const requestIds: Record<string, string> = {};
    for (const batch of chunk([...new Set(endpointIds)], this.#batchSize)) {
      const result = await this.#actOnBatch(action, serviceId, batch);
      succeeded.push(...result.succeeded);
      failed.push(...result.failed);
      Object.assign(requestIds, result.requestIds);
    }
    return { succeeded, failed, requestIds };
  }

  async #actOnBatch(action: Action, serviceId: string, batch: string[]): Promise<ActionResult> {
    const succeeded: string[] = [];
    const failed: ActionFailure[] = [];
    const requestIds: Record<string, string> = {};
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const sent = new Set(pending);
      const failures = new Map<string, ActionFailure>();
      const { unsuccessful, requestId } = await this.#send(action, serviceId, pending);
      const unattributed: UnsuccessfulItem[] = [];
      for (const item of unsuccessful) {
        const failure = toFailure(item);
        if (failure !== undefined && sent.has(failure.endpointId)) {
          failures.set(failure.endpointId, failure);
        } else {
          this.#logger.warn('unsuccessful item names no endpoint of the call', { action, serviceId, item });
          unattributed.push(item);
        }
      }
      if (unattributed.length > 0) {
        // A failure nobody can place may be any endpoint's: none of the call's can count as
        // changed. Not retried here: the sweep reads what EC2 did and decides again.
        for (const id of pending) {
          if (!failures.has(id)) failed.push(unattributedFailure(id, unattributed));
        }
        for (const failure of failures.values()) failed.push(failure);
        break;
      }
      const changed = pending.filter((id) => !failures.has(id));
      succeeded.push(...changed);
      if (requestId !== undefined) for (const id of changed) requestIds[id] = requestId;
      const retryable: string[] = [];
      for (const failure of failures.values()) {
        if (isRetryableUnsuccessful(failure.code) && attempt < this.#retry.maxRetries) {
          retryable.push(failure.endpointId);
        } else {
          failed.push(failure);
        }
      }
      if (retryable.length > 0) {
        this.#logger.info('retrying endpoint connections', {
          action,
          serviceId,
          endpointIds: retryable,
          attempt: attempt + 1,
        });
        await this.#retry.sleep(backoffDelay(this.#retry, attempt));
      }
      pending = retryable;
    }
    if (failed.length > 0)
      this.#logger.warn('endpoint connections not changed', { action, serviceId, failed });
    return { succeeded, failed, requestIds };
  }

  async #send(
    action: Action,
    serviceId: string,
    endpointIds: string[],
  ): Promise<{ unsuccessful: UnsuccessfulItem[]; requestId?: string }> {
    const input = { ServiceId: serviceId, VpcEndpointIds: endpointIds };
    const out = await this.#call(() =>
      action === 'accept'
        ? this.#ec2.send(new AcceptVpcEndpointConnectionsCommand(input))
        : this.#ec2.send(new RejectVpcEndpointConnectionsCommand(input)),
    );
    // Mocked clients may answer without metadata.
    const requestId = out.$metadata?.requestId;
    return { unsuccessful: out.Unsuccessful ?? [], ...(requestId === undefined ? {} : { requestId }) };
  }

  async #describeService(serviceId: string): Promise<ServiceConfiguration | undefined> {
    try {
      const out = await this.#call(() =>
        this.#ec2.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] })),
      );
      return out.ServiceConfigurations?.find((c) => c.ServiceId === serviceId);
    } catch (error) {
      const code = errorCode(error) ?? '';
      if (code.endsWith('.NotFound') || code.endsWith('.Malformed')) return undefined;
      throw error;
    }
  }

  /** The connection notifications of these services (at most MAX_FILTER_VALUES), all pages. */
  async #notificationsOf(serviceIds: readonly string[]): Promise<ConnectionNotification[]> {
    const wanted = new Set(serviceIds);
    const notifications: ConnectionNotification[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.#call(() =>
        this.#ec2.send(
          new DescribeVpcEndpointConnectionNotificationsCommand({
            Filters: [{ Name: 'service-id', Values: [...serviceIds] }],
            ...(nextToken === undefined ? {} : { NextToken: nextToken }),
          }),
        ),
      );
      notifications.push(
        ...(out.ConnectionNotificationSet ?? []).filter(
          (n) => n.ServiceId !== undefined && wanted.has(n.ServiceId),
        ),
      );
      nextToken = nonEmpty(out.NextToken);
    } while (nextToken !== undefined);
    return notifications;
  }

  #call<T>(job: () => Promise<T>): Promise<T> {
    return this.#limiter.schedule(job);
  }
}

/** Reported for every endpoint of a call whose Unsuccessful list holds an item naming none of them. */
export const UNSUCCESSFUL_WITHOUT_RESOURCE_ID = 'UnsuccessfulWithoutResourceId';

function unattributedFailure(endpointId: string, items: readonly UnsuccessfulItem[]): ActionFailure {
  const first = items[0];
  const named =
    first?.ResourceId === undefined ? 'no endpoint' : `endpoint ${first.ResourceId}, not one of the call's`;
  return {
    endpointId,
    code: UNSUCCESSFUL_WITHOUT_RESOURCE_ID,
    message: `EC2 reported ${items.length} unsuccessful item(s) naming ${named} (${first?.Error?.Code ?? 'no code'}: ${first?.Error?.Message ?? 'no message'}); whether this endpoint changed is unknown`,
  };
}

function toFailure(item: UnsuccessfulItem): ActionFailure | undefined {
  if (item.ResourceId === undefined) return undefined;
  return {
    endpointId: item.ResourceId,
    code: item.Error?.Code ?? 'Unknown',
    message: item.Error?.Message ?? '',
  };
}

const missingEvents = (notification: ConnectionNotification): string[] =>
  CONNECTION_NOTIFICATION_EVENTS.filter((e) => !(notification.ConnectionEvents ?? []).includes(e));

/**
 * A service's notifications need nothing from `enroll`: one goes to the topic, and every one
 * that does carries every event and is enabled (a disabled one goes through `enroll`, which warns).
 */
function isEnrolledWith(notifications: readonly ConnectionNotification[], topicArn: string): boolean {
  const toTopic = notifications.filter((n) => n.ConnectionNotificationArn === topicArn);
  return (
    toTopic.length > 0 &&
    toTopic.every((n) => missingEvents(n).length === 0 && n.ConnectionNotificationState !== 'Disabled')
  );
}

function toManagedService(configuration: ServiceConfiguration): ManagedService | undefined {
  if (configuration.ServiceId === undefined) return undefined;
  return {
    serviceId: configuration.ServiceId,
    acceptanceRequired: configuration.AcceptanceRequired === true,
    tags: tagsOf(configuration),
  };
}

function tagsOf(configuration: ServiceConfiguration): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of configuration.Tags ?? []) {
    if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  }
  return tags;
}

const isGone = (configuration: ServiceConfiguration): boolean =>
  ['deleting', 'deleted', 'failed'].includes((configuration.ServiceState ?? '').toLowerCase());

const nonEmpty = (token: string | undefined): string | undefined =>
  token === undefined || token === '' ? undefined : token;

function checkServiceId(serviceId: string): void {
  checkId('serviceId', serviceId, SERVICE_ID);
}

function checkId(field: string, value: unknown, pattern: RegExp): void {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new EndpointServicesError(`${field}: not a valid id: ${JSON.stringify(value)}`);
  }
}
