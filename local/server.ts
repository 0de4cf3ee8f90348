/**
 * The edge server: one HTTP port that routes each request the way AWS's
 * endpoints would tell the protocols apart — `X-Amz-Target` for the JSON APIs
 * (DynamoDB, EventBridge), the credential scope's service and the `Action` for
 * the Query APIs (EC2, SNS, STS) — plus a small read-only admin API under
 * `/_plgate/`. Every failure is answered in the shape of the protocol asked.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { CallCounts } from './call-counts.ts';
import type { EmbeddedDynamoDb } from './dynamodb/api.ts';
import { cloudTrailEvent, isRecordedAction, responseElementsOf } from './ec2/cloudtrail.ts';
import { Ec2Error } from './ec2/errors.ts';
import type { Ec2Model } from './ec2/model.ts';
import { EC2_ACTIONS, EC2_API_VERSION, ec2ErrorResponse, handleEc2Query } from './ec2/query.ts';
import { handleEventsRequest, type JsonResponse, jsonError } from './events/api.ts';
import type { EventBuses } from './events/buses.ts';
import type { EdgeFaultLayer } from './fault-layer.ts';
import { AccessDeniedError, type AccessRequest, type Authorizer } from './iam/authorizer.ts';
import { dynamoDbAccess } from './iam/dynamodb-access.ts';
import { ec2AccessRequests } from './iam/ec2-access.ts';
import { eventsAccessRequests } from './iam/events-access.ts';
import { snsAccessRequests, snsKeyRequests } from './iam/sns-access.ts';
import { type Caller, CredentialError, identifyCaller, type LocalRoles, type Principal } from './identity.ts';
import { requestId as newRequestId } from './ids.ts';
import { QueryParams } from './query-params.ts';
import type { EdgeRequest, LocalService } from './service.ts';
import { handleSnsQuery, SNS_ACTIONS, SNS_API_VERSION, SnsError, snsErrorDocument } from './sns/query.ts';
import type { SnsTopics } from './sns/topics.ts';
import { signatureFault } from './sts/signature.ts';
import { xmlDocument } from './xml.ts';

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const XML = 'text/xml;charset=UTF-8';

export interface EdgeServices {
  providerAccount: string;
  ec2: Ec2Model;
  sns: SnsTopics;
  events: EventBuses;
  dynamodb: EmbeddedDynamoDb;
  /** The in-process functions' roles, by access key id. */
  roles: LocalRoles;
  /** Judges every call against the caller's policy and the resource's. */
  authorizer: Authorizer;
  /** Read-only admin endpoints (`/_plgate/<name>`), answering JSON; undefined for an unknown name. */
  admin: (name: string, query: URLSearchParams) => unknown;
  /** Counts every API call by caller, service and action (admin `/_plgate/calls`). */
  calls?: CallCounts;
  log: (line: string) => void;
  /** The secret of an access key, for the keys whose STS signatures are verified. */
  secretOf: (accessKeyId: string) => string | undefined;
  /** Injected faults (`--faults`): answers a request itself when one strikes it. */
  faults?: EdgeFaultLayer;
  /** The cloud's clock (signatures are judged against it: functions sign with its time). */
  now: () => number;
  /** The services of the registry (local/registry.ts), asked in order whether a request is theirs. */
  registry?: readonly LocalService[];
}

class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError(`request body larger than ${MAX_BODY_BYTES} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Record<string, string | string[]> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function sendJson(res: ServerResponse, response: JsonResponse, requestId: string, contentType: string): void {
  send(res, response.status, contentType, JSON.stringify(response.body), {
    'x-amzn-requestid': requestId,
    ...(response.errorType === undefined ? {} : { 'x-amzn-errortype': response.errorType }),
  });
}

type QueryService = 'ec2' | 'sns' | 'sts';

/** Which Query API a request is for: the credential scope says, else the Version, else the Action. */
function queryService(scope: string | undefined, params: QueryParams): QueryService | undefined {
  if (scope === 'ec2' || scope === 'sns' || scope === 'sts') return scope;
  const version = params.string('Version');
  if (version === EC2_API_VERSION) return 'ec2';
  if (version === SNS_API_VERSION) return 'sns';
  const action = params.string('Action') ?? '';
  if (SNS_ACTIONS.includes(action)) return 'sns';
  if (action === 'GetCallerIdentity') return 'sts';
  if (EC2_ACTIONS.includes(action) || scope === undefined) return 'ec2';
  return undefined;
}

function stsResponse(
  caller: Caller,
  principal: Principal,
  params: QueryParams,
  requestId: string,
): { status: number; body: string } {
  const namespace = 'https://sts.amazonaws.com/doc/2011-06-15/';
  const action = params.string('Action') ?? '';
  if (action !== 'GetCallerIdentity') {
    return {
      status: 400,
      body: xmlDocument('ErrorResponse', namespace, {
        Error: { Type: 'Sender', Code: 'InvalidAction', Message: `Could not find operation ${action}` },
        RequestId: requestId,
      }),
    };
  }
  return {
    status: 200,
    body: xmlDocument('GetCallerIdentityResponse', namespace, {
      GetCallerIdentityResult: {
        // Root and the administrator answer as the account root, as before roles existed.
        Arn: principal.kind === 'role' ? principal.arn : `arn:aws:iam::${caller.account}:root`,
        UserId:
          principal.kind === 'role' ? `AROA${principal.role.name}:${principal.role.name}` : caller.account,
        Account: caller.account,
      },
      ResponseMetadata: { RequestId: requestId },
    }),
  };
}

export function createEdgeServer(services: EdgeServices): Server {
  const handleJson = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    target: string,
    body: string,
    requestId: string,
  ): Promise<void> => {
    const [api = '', operation = ''] = target.split('.');
    const dynamo = api === 'DynamoDB_20120810';
    const contentType = dynamo ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
    const prefix = dynamo ? 'com.amazon.coral.service#' : '';
    if (!dynamo && api !== 'AWSEvents') {
      sendJson(
        res,
        jsonError(400, `${prefix}UnknownOperationException`, `Unknown target ${target}`),
        requestId,
        contentType,
      );
      return;
    }
    let caller: Caller;
    try {
      caller = identifyCaller(req.headers.authorization, url.searchParams, services.providerAccount);
    } catch (error) {
      if (!(error instanceof CredentialError)) throw error;
      const type =
        error.problem === 'missing' ? 'MissingAuthenticationTokenException' : 'IncompleteSignatureException';
      sendJson(res, jsonError(400, `${prefix}${type}`, error.message), requestId, contentType);
      return;
    }
    const principal = services.roles.principalOf(caller);
    if (dynamo) {
      const refused = await refuseDynamoDb(services, caller, principal, operation, body);
      if (refused !== undefined) {
        sendJson(res, refused, requestId, contentType);
        return;
      }
      const response = await services.dynamodb.handle(operation, body);
      send(res, response.status, response.headers['content-type'] ?? contentType, response.body, {
        'x-amzn-requestid': response.headers['x-amzn-requestid'] ?? requestId,
        ...(response.headers['x-amz-crc32'] === undefined
          ? {}
          : { 'x-amz-crc32': response.headers['x-amz-crc32'] }),
      });
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body === '' ? '{}' : body);
    } catch {
      sendJson(
        res,
        jsonError(400, 'SerializationException', 'The request body is not valid JSON'),
        requestId,
        contentType,
      );
      return;
    }
    const denied = await denialOf(services, principal, eventsAccessRequests(caller, operation, parsed));
    if (denied !== undefined) {
      sendJson(res, jsonError(400, 'AccessDeniedException', denied.message), requestId, contentType);
      return;
    }
    sendJson(res, handleEventsRequest(services.events, caller, operation, parsed), requestId, contentType);
  };

  const handleQuery = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: string,
    requestId: string,
  ): Promise<void> => {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const form = new URLSearchParams(url.search);
    if (req.method === 'POST' && contentType === 'application/x-www-form-urlencoded') {
      for (const [key, value] of new URLSearchParams(body)) form.append(key, value);
    }
    const params = QueryParams.fromSearchParams(form);
    let caller: Caller | undefined;
    let credentialError: CredentialError | undefined;
    try {
      caller = identifyCaller(req.headers.authorization, url.searchParams, services.providerAccount);
    } catch (error) {
      if (!(error instanceof CredentialError)) throw error;
      credentialError = error;
    }
    const service = queryService(caller?.service, params);
    if (service === 'sns') {
      if (caller === undefined) {
        const missing = credentialError?.problem !== 'garbled';
        const error = new SnsError(
          missing ? 'MissingAuthenticationToken' : 'IncompleteSignature',
          credentialError?.message ?? 'Request is missing Authentication Token',
          missing ? 403 : 400,
        );
        send(res, error.status, XML, snsErrorDocument(error, requestId), { 'x-amzn-requestid': requestId });
        return;
      }
      const principal = services.roles.principalOf(caller);
      const denied =
        (await denialOf(services, principal, snsAccessRequests(services.sns, caller, params))) ??
        (await denialOf(services, principal, snsKeyRequests(services.sns, params)));
      if (denied !== undefined) {
        const kms = denied.request.action.startsWith('kms:');
        const error = new SnsError(
          kms ? 'KMSAccessDenied' : 'AuthorizationError',
          denied.message,
          kms ? 400 : 403,
        );
        send(res, error.status, XML, snsErrorDocument(error, requestId), { 'x-amzn-requestid': requestId });
        return;
      }
      const response = handleSnsQuery(services.sns, caller, params, requestId);
      send(res, response.status, XML, response.body, { 'x-amzn-requestid': requestId });
      return;
    }
    if (caller === undefined) {
      const error = new Ec2Error(
        'AuthFailure',
        `AWS was not able to validate the provided access credentials (${credentialError?.message ?? 'no credentials'})`,
        401,
      );
      const response = ec2ErrorResponse(error, requestId);
      send(res, response.status, XML, response.body, { 'x-amzn-requestid': requestId });
      return;
    }
    const principal = services.roles.principalOf(caller);
    if (service === 'sts') {
      const fault = signatureFault(
        { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body },
        services.secretOf,
        new Date(services.now()),
      );
      if (fault !== undefined) {
        const xml = xmlDocument('ErrorResponse', 'https://sts.amazonaws.com/doc/2011-06-15/', {
          Error: { Type: 'Sender', Code: fault.code, Message: fault.message },
          RequestId: requestId,
        });
        send(res, 403, XML, xml, { 'x-amzn-requestid': requestId });
        return;
      }
      // GetCallerIdentity needs no permission, on AWS as here.
      const response = stsResponse(caller, principal, params, requestId);
      send(res, response.status, XML, response.body, { 'x-amzn-requestid': requestId });
      return;
    }
    if (service === undefined) {
      const error = new Ec2Error(
        'InvalidAction',
        `The local cloud does not serve the '${caller.service}' API (it serves ec2, sns, sts, dynamodb and events)`,
      );
      const response = ec2ErrorResponse(error, requestId);
      send(res, response.status, XML, response.body, { 'x-amzn-requestid': requestId });
      return;
    }
    if (
      req.method === 'POST' &&
      contentType !== 'application/x-www-form-urlencoded' &&
      !params.has('Action')
    ) {
      const error = new Ec2Error(
        'MissingAction',
        `The request must contain the parameter Action (as a form body, content-type application/x-www-form-urlencoded; got '${contentType || 'none'}')`,
      );
      const response = ec2ErrorResponse(error, requestId);
      send(res, response.status, XML, response.body, { 'x-amzn-requestid': requestId });
      return;
    }
    const ec2Caller = { account: caller.account, region: caller.region };
    const action = params.string('Action') ?? '';
    if (EC2_ACTIONS.includes(action)) {
      const denied = await denialOf(
        services,
        principal,
        ec2AccessRequests(services.ec2, ec2Caller, action, params),
      );
      if (denied !== undefined) {
        const error = new Ec2Error(
          'UnauthorizedOperation',
          `You are not authorized to perform this operation. ${denied.message}`,
          403,
        );
        const response = ec2ErrorResponse(error, requestId);
        send(res, response.status, XML, response.body, { 'x-amzn-requestid': requestId });
        return;
      }
    }
    const response = handleEc2Query(services.ec2, ec2Caller, params, requestId);
    send(res, response.status, XML, response.body, { 'x-amzn-requestid': requestId });
    if (response.status === 200 && isRecordedAction(action)) {
      const parameters = Object.fromEntries(
        [...form].filter(([name]) => name !== 'Action' && name !== 'Version'),
      );
      services.events.deliver(
        'default',
        cloudTrailEvent({
          action,
          account: caller.account,
          region: caller.region,
          requestId,
          parameters,
          userAgent: String(req.headers['user-agent'] ?? ''),
          accessKeyId: caller.accessKeyId,
          principal,
          responseElements: responseElementsOf(action, response.body),
        }),
      );
    }
  };

  const handleAdmin = (res: ServerResponse, req: IncomingMessage, url: URL): void => {
    const name = url.pathname.slice('/_plgate/'.length);
    if (req.method !== 'GET') {
      send(res, 405, 'application/json', JSON.stringify({ message: 'the admin API is read-only: use GET' }));
      return;
    }
    const result = services.admin(name, url.searchParams);
    if (result === undefined) {
      send(res, 404, 'application/json', JSON.stringify({ message: `no admin endpoint /_plgate/${name}` }));
      return;
    }
    send(res, 200, 'application/json', `${JSON.stringify(result, null, 2)}\n`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = newRequestId();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const target = req.headers['x-amz-target'];
    let body: string;
    try {
      body = await readBody(req);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      send(res, 413, 'text/plain', error.message, { connection: 'close' });
      return;
    }
    if (url.pathname.startsWith('/_plgate/')) {
      handleAdmin(res, req, url);
      return;
    }
    services.calls?.record(req.headers, url, body);
    if (services.faults !== undefined && (await services.faults(req, res, url, requestId))) return;
    const request = edgeRequest(req, url, body, requestId, services);
    const service = services.registry?.find((candidate) => candidate.matches?.(request) === true);
    if (service?.handle !== undefined) {
      const response = await service.handle(request);
      send(
        res,
        response.status,
        String(response.headers?.['content-type'] ?? 'application/json'),
        response.body,
        {
          'x-amzn-requestid': requestId,
          ...(response.headers ?? {}),
        },
      );
      return;
    }
    if (typeof target === 'string' && target !== '') {
      await handleJson(req, res, url, target, body, requestId);
      return;
    }
    await handleQuery(req, res, url, body, requestId);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      services.log(
        `internal error on ${req.method} ${req.url}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      const requestId = newRequestId();
      if (typeof req.headers['x-amz-target'] === 'string') {
        sendJson(
          res,
          jsonError(500, 'InternalServerError', 'The local cloud failed on this request'),
          requestId,
          'application/x-amz-json-1.0',
        );
      } else {
        const response = ec2ErrorResponse(
          new Ec2Error('InternalError', 'The local cloud failed on this request', 500),
          requestId,
        );
        send(res, response.status, XML, response.body, { 'x-amzn-requestid': requestId });
      }
    });
  });
  // Node closes a kept-alive connection after 5 s idle; a client that sends on it at that
  // moment sees `socket hang up` (ECONNRESET), which AWS's endpoints, keeping connections
  // open far longer, do not give it. Under load (many function workers, each with its own
  // clients) that race struck the bench's and the tests' calls.
  server.keepAliveTimeout = 65_000;
  return server;
}

/** A request as the registry's services see it: who signed it, and who that is to IAM. */
function edgeRequest(
  req: IncomingMessage,
  url: URL,
  body: string,
  requestId: string,
  services: EdgeServices,
): EdgeRequest {
  let caller: Caller | undefined;
  let credentialError: CredentialError | undefined;
  try {
    caller = identifyCaller(req.headers.authorization, url.searchParams, services.providerAccount);
  } catch (error) {
    if (!(error instanceof CredentialError)) throw error;
    credentialError = error;
  }
  return {
    method: req.method ?? 'GET',
    url,
    headers: req.headers,
    body,
    requestId,
    caller,
    credentialError,
    principal: caller === undefined ? undefined : services.roles.principalOf(caller),
  };
}

/** The first of these requests IAM refuses, if any. */
async function denialOf(
  services: EdgeServices,
  principal: Principal,
  requests: readonly AccessRequest[],
): Promise<AccessDeniedError | undefined> {
  try {
    await services.authorizer.authorize(principal, requests);
    return undefined;
  } catch (error) {
    if (error instanceof AccessDeniedError) return error;
    throw error;
  }
}

const DYNAMODB_ERROR = 'com.amazonaws.dynamodb.v20120810#';

/**
 * What DynamoDB refuses before the engine sees the request: a call IAM denies, and any
 * call of another account on a table by name. Tables are per account and the local cloud
 * keeps the provider's only, so another account's namespace is empty: it lists no tables
 * and finds none, and the provider's tables, named by ARN, are denied to it.
 */
async function refuseDynamoDb(
  services: EdgeServices,
  caller: Caller,
  principal: Principal,
  operation: string,
  body: string,
): Promise<JsonResponse | undefined> {
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
    if (table.account !== services.providerAccount || partitionKeys.has(table.name)) continue;
    const key = await services.dynamodb.partitionKeyName(table.name);
    if (key !== undefined) partitionKeys.set(table.name, key);
  }
  const access = dynamoDbAccess(caller, operation, request, (table) =>
    table.account === services.providerAccount ? partitionKeys.get(table.name) : undefined,
  );
  const denied = await denialOf(services, principal, access.requests);
  if (denied !== undefined) {
    return jsonError(400, 'com.amazon.coral.service#AccessDeniedException', denied.message);
  }
  if (caller.account === services.providerAccount) return undefined;
  if (operation === 'ListTables') return { status: 200, body: { TableNames: [] } };
  if (operation === 'CreateTable') {
    return jsonError(
      400,
      'com.amazon.coral.service#AccessDeniedException',
      `User: ${principal.arn} is not authorized to perform: dynamodb:CreateTable: the local cloud keeps DynamoDB tables for the provider account (${services.providerAccount}) only`,
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
