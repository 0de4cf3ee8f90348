/** What every service of the registry reads off an edge request the same way. */
import { AccessDeniedError, type AccessRequest, type Authorizer } from './iam/authorizer.ts';
import type { Principal } from './identity.ts';
import type { EdgeRequest } from './service.ts';

/** The Query protocol's parameters: the URL's, and a form body's. */
export function formOf(request: EdgeRequest): URLSearchParams {
  const form = new URLSearchParams(request.url.search);
  if (request.method === 'POST' && contentTypeOf(request) === 'application/x-www-form-urlencoded') {
    for (const [key, value] of new URLSearchParams(request.body)) form.append(key, value);
  }
  return form;
}

export function contentTypeOf(request: EdgeRequest): string {
  return (
    String(request.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim()
      .toLowerCase() ?? ''
  );
}

/** The JSON protocols' `X-Amz-Target` (`DynamoDB_20120810.PutItem`), or '' for a Query request. */
export function targetOf(request: EdgeRequest): string {
  const target = request.headers['x-amz-target'];
  return typeof target === 'string' ? target : '';
}

/** The first of these requests IAM refuses, if any. */
export async function denialOf(
  authorizer: Authorizer,
  principal: Principal,
  requests: readonly AccessRequest[],
): Promise<AccessDeniedError | undefined> {
  try {
    await authorizer.authorize(principal, requests);
    return undefined;
  } catch (error) {
    if (error instanceof AccessDeniedError) return error;
    throw error;
  }
}
