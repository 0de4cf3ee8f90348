/**
 * DynamoDB on the edge port (the JSON 1.0 API, `X-Amz-Target: DynamoDB_20120810.*`): IAM
 * first (with `dynamodb:LeadingKeys`), then the embedded engine; and the
 * `AWS::DynamoDB::Table` resources a template makes.
 */
import { denialOf, targetOf } from '../edge-request.ts';
import { type JsonResponse, jsonError } from '../events/api.ts';
import type { Authorizer } from '../iam/authorizer.ts';
import { dynamoDbAccess } from '../iam/dynamodb-access.ts';
import type { Caller, Principal } from '../identity.ts';
import type { EdgeRequest, EdgeResponse, LocalService, ResourceProvider } from '../service.ts';
import type { EmbeddedDynamoDb } from './api.ts';
import { tableResource } from './table-resource.ts';

const TARGET_PREFIX = 'DynamoDB_20120810.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const CORAL = 'com.amazon.coral.service#';
const DYNAMODB_ERROR = 'com.amazonaws.dynamodb.v20120810#';

export class DynamoDbService implements LocalService {
  readonly name = 'dynamodb';
  readonly resources: readonly ResourceProvider[];

  constructor(
    private readonly dynamodb: EmbeddedDynamoDb,
    private readonly options: { account: string; region: string; authorizer: Authorizer },
  ) {
    this.resources = [
      tableResource(
        dynamodb,
        (name) => `arn:aws:dynamodb:${options.region}:${options.account}:table/${name}`,
      ),
    ];
  }

  matches(request: EdgeRequest): boolean {
    return targetOf(request).startsWith(TARGET_PREFIX);
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    const operation = targetOf(request).slice(TARGET_PREFIX.length);
    const json = (response: JsonResponse): EdgeResponse => ({
      status: response.status,
      headers: {
        'content-type': CONTENT_TYPE,
        ...(response.errorType === undefined ? {} : { 'x-amzn-errortype': response.errorType }),
      },
      body: JSON.stringify(response.body),
    });
    const { caller, principal } = request;
    if (caller === undefined || principal === undefined) {
      const type =
        request.credentialError?.problem === 'garbled'
          ? 'IncompleteSignatureException'
          : 'MissingAuthenticationTokenException';
      return json(
        jsonError(400, `${CORAL}${type}`, request.credentialError?.message ?? 'Missing Authentication Token'),
      );
    }
    const refused = await this.refuse(caller, principal, operation, request.body);
    if (refused !== undefined) return json(refused);
    const response = await this.dynamodb.handle(operation, request.body);
    return {
      status: response.status,
      headers: {
        'content-type': response.headers['content-type'] ?? CONTENT_TYPE,
        ...(response.headers['x-amzn-requestid'] === undefined
          ? {}
          : { 'x-amzn-requestid': response.headers['x-amzn-requestid'] }),
        ...(response.headers['x-amz-crc32'] === undefined
          ? {}
          : { 'x-amz-crc32': response.headers['x-amz-crc32'] }),
      },
      body: response.body,
    };
  }

  /**
   * What DynamoDB refuses before the engine sees the request: a call IAM denies, and any
   * call of another account on a table by name. Tables are per account and the local cloud
   * keeps the provider's only, so another account's namespace is empty: it lists no tables
   * and finds none, and the provider's tables, named by ARN, are denied to it.
   */
  private async refuse(
    caller: Caller,
    principal: Principal,
    operation: string,
    body: string,
  ): Promise<JsonResponse | undefined> {
    const provider = this.options.account;
    let request: unknown;
    try {
      request = JSON.parse(body === '' ? '{}' : body);
    } catch {
      return undefined; // the engine answers malformed JSON in DynamoDB's words
    }
    const named = dynamoDbAccess(caller, operation, request).tables;
    // The partition key names of the provider's tables the request names, for dynamodb:LeadingKeys.
    const partitionKeys = new Map<string, string>();
    for (const table of named) {
      if (table.account !== provider || partitionKeys.has(table.name)) continue;
      const key = await this.dynamodb.partitionKeyName(table.name);
      if (key !== undefined) partitionKeys.set(table.name, key);
    }
    const access = dynamoDbAccess(caller, operation, request, (table) =>
      table.account === provider ? partitionKeys.get(table.name) : undefined,
    );
    const denied = await denialOf(this.options.authorizer, principal, access.requests);
    if (denied !== undefined) return jsonError(400, `${CORAL}AccessDeniedException`, denied.message);
    if (caller.account === provider) return undefined;
    if (operation === 'ListTables') return { status: 200, body: { TableNames: [] } };
    if (operation === 'CreateTable') {
      return jsonError(
        400,
        `${CORAL}AccessDeniedException`,
        `User: ${principal.arn} is not authorized to perform: dynamodb:CreateTable: the local cloud keeps DynamoDB tables for the provider account (${provider}) only`,
      );
    }
    const own = access.tables.find((table) => table.account === caller.account);
    if (own !== undefined) {
      return jsonError(
        400,
        `${DYNAMODB_ERROR}ResourceNotFoundException`,
        `Requested resource not found: Table: ${own.name} not found`,
      );
    }
    return undefined;
  }
}
