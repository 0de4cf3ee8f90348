/**
 * `AWS::DynamoDB::Table` for the deployer: keys, indexes, billing, stream and TTL as the
 * template gives them. An update keeps the items: stream, TTL and index changes are made
 * in place; a new name or key schema replaces the table, as CloudFormation does.
 */
import type { CreatedResource, ResourceProvider, ResourceRequest } from '../service.ts';
import type { EmbeddedDynamoDb } from './api.ts';

export class TableResourceError extends Error {
  override name = 'TableResourceError';
}

type Props = Record<string, unknown>;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export function tableResource(dynamodb: EmbeddedDynamoDb, arnOf: (name: string) => string): ResourceProvider {
  const call = async (operation: string, request: Props): Promise<Props> => {
    const response = await dynamodb.handle(operation, JSON.stringify(request));
    const body = response.body === '' ? {} : (JSON.parse(response.body) as Props);
    if (response.status !== 200)
      throw new TableResourceError(
        `${operation} ${String(request.TableName)}: ${String(body.message ?? body.Message ?? response.body)}`,
      );
    return body;
  };

  const attributes = (name: string, properties: Props): CreatedResource => {
    const stream = properties.StreamSpecification as Props | undefined;
    return {
      physicalId: name,
      attributes: {
        Arn: arnOf(name),
        ...(stream?.StreamViewType === undefined ? {} : { StreamArn: dynamodb.streams.streamArn(name) }),
      },
    };
  };

  const setTimeToLive = async (name: string, properties: Props, previous?: Props): Promise<void> => {
    const wanted = properties.TimeToLiveSpecification as Props | undefined;
    const before = previous?.TimeToLiveSpecification as Props | undefined;
    if (same(wanted ?? null, before ?? null)) return;
    if (before?.Enabled === true)
      await call('UpdateTimeToLive', {
        TableName: name,
        TimeToLiveSpecification: { ...before, Enabled: false },
      });
    if (wanted?.Enabled === true)
      await call('UpdateTimeToLive', { TableName: name, TimeToLiveSpecification: wanted });
  };

  return {
    type: 'AWS::DynamoDB::Table',
    create: async (request: ResourceRequest) => {
      const { properties } = request;
      const name =
        typeof properties.TableName === 'string' ? properties.TableName : request.generatedName(255);
      const stream = properties.StreamSpecification as Props | undefined;
      await call('CreateTable', {
        TableName: name,
        AttributeDefinitions: properties.AttributeDefinitions,
        KeySchema: properties.KeySchema,
        BillingMode: properties.BillingMode ?? 'PROVISIONED',
        ...(properties.ProvisionedThroughput === undefined
          ? {}
          : { ProvisionedThroughput: properties.ProvisionedThroughput }),
        ...(properties.GlobalSecondaryIndexes === undefined
          ? {}
          : { GlobalSecondaryIndexes: indexes(properties.GlobalSecondaryIndexes) }),
        ...(properties.LocalSecondaryIndexes === undefined
          ? {}
          : { LocalSecondaryIndexes: properties.LocalSecondaryIndexes }),
        ...(stream?.StreamViewType === undefined
          ? {}
          : { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType } }),
      });
      await setTimeToLive(name, properties);
      return attributes(name, properties);
    },
    update: async (request) => {
      const { properties, previous, physicalId } = request;
      const replaces = ['TableName', 'KeySchema', 'LocalSecondaryIndexes'].some(
        (key) => !same(properties[key], previous[key]),
      );
      if (replaces) return 'replace';
      const stream = properties.StreamSpecification as Props | undefined;
      const streamBefore = previous.StreamSpecification as Props | undefined;
      if (!same(stream ?? null, streamBefore ?? null)) {
        await call('UpdateTable', {
          TableName: physicalId,
          StreamSpecification:
            stream?.StreamViewType === undefined
              ? { StreamEnabled: false }
              : { StreamEnabled: true, StreamViewType: stream.StreamViewType },
        });
      }
      const before = new Map(
        indexes(previous.GlobalSecondaryIndexes).map((index) => [index.IndexName, index]),
      );
      const after = new Map(
        indexes(properties.GlobalSecondaryIndexes).map((index) => [index.IndexName, index]),
      );
      for (const [indexName, index] of after) {
        if (before.has(indexName) && same(before.get(indexName), index)) continue;
        if (before.has(indexName))
          await call('UpdateTable', {
            TableName: physicalId,
            GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: indexName } }],
          });
        await call('UpdateTable', {
          TableName: physicalId,
          AttributeDefinitions: properties.AttributeDefinitions,
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        });
      }
      for (const indexName of before.keys()) {
        if (!after.has(indexName))
          await call('UpdateTable', {
            TableName: physicalId,
            GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: indexName } }],
          });
      }
      await setTimeToLive(physicalId, properties, previous);
      return attributes(physicalId, properties);
    },
    delete: async (request) => {
      const gone = (error: unknown): undefined => {
        if (error instanceof TableResourceError && /not found/i.test(error.message)) return undefined;
        throw error;
      };
      await call('DeleteTable', { TableName: request.physicalId }).catch(gone);
      // As CloudFormation does, the delete is complete when the table is gone (DELETING passes).
      for (let attempt = 0; attempt < 200; attempt += 1) {
        const described = await call('DescribeTable', { TableName: request.physicalId }).catch(gone);
        if (described === undefined) return;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new TableResourceError(`DeleteTable ${request.physicalId}: the table is still there after 5 s`);
    },
  };
}

/** Indexes as CreateTable takes them (the template's may carry settings dynalite does not know). */
function indexes(
  value: unknown,
): { IndexName: string; KeySchema: unknown; Projection: unknown; ProvisionedThroughput?: unknown }[] {
  if (!Array.isArray(value)) return [];
  return value.map((index: Props) => ({
    IndexName: String(index.IndexName),
    KeySchema: index.KeySchema,
    Projection: index.Projection,
    ...(index.ProvisionedThroughput === undefined
      ? {}
      : { ProvisionedThroughput: index.ProvisionedThroughput }),
  }));
}
