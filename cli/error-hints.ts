/**
 * What to do next, for the failures a person hits before any gate logic runs: nothing
 * listening where the CLI was pointed, no region to call AWS in, or no credentials to call
 * it with (`--stack NAME` reads the stack's outputs from CloudFormation first). The SDK's own messages
 * ("connect ECONNREFUSED 127.0.0.1:4566", "Region is missing") say what, not why.
 */
import { DEFAULT_EDGE_PORT } from '../local/edge-port.ts';

/** The error and its causes, and an AggregateError's parts (Node tries IPv6 and IPv4 for localhost). */
function* chain(error: unknown, depth = 0): Generator<unknown> {
  if (error === undefined || error === null || depth > 5) return;
  yield error;
  if (error instanceof AggregateError) for (const part of error.errors) yield* chain(part, depth + 1);
  if (error instanceof Error) yield* chain(error.cause, depth + 1);
}

const codeOf = (error: unknown): unknown =>
  typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;

/** Where a refused connection went: Node's error names the address and port, else its message does. */
function targetOf(error: unknown): { address?: string; port?: number } {
  if (typeof error === 'object' && error !== null && 'port' in error && typeof error.port === 'number') {
    const address = 'address' in error && typeof error.address === 'string' ? error.address : undefined;
    return { port: error.port, ...(address ? { address } : {}) };
  }
  const match = error instanceof Error ? /(\S+):(\d{1,5})$/.exec(error.message) : null;
  return match ? { address: match[1] ?? '', port: Number(match[2]) } : {};
}

function portOfUrl(url: string): number | undefined {
  try {
    const parsed = new URL(url);
    return parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
  } catch {
    return undefined;
  }
}

export function hintFor(error: unknown, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const errors = [...chain(error)];
  const refused = errors.find((e) => codeOf(e) === 'ECONNREFUSED');
  if (refused !== undefined) {
    const { address, port } = targetOf(refused);
    const endpoint = env.AWS_ENDPOINT_URL;
    if (endpoint && (port === undefined || port === portOfUrl(endpoint))) {
      // `npm start` runs plgate local on its default port, and on no other.
      const start =
        port === DEFAULT_EDGE_PORT ? '`npm start`' : `\`npx plgate local --port ${port ?? '<port>'}\``;
      return `nothing answers at ${endpoint} (AWS_ENDPOINT_URL${port === undefined ? '' : `, port ${port}`}): is \`plgate local\` running? Start it in another terminal with ${start}`;
    }
    const where = port === undefined ? 'the AWS endpoint' : `port ${port}${address ? ` of ${address}` : ''}`;
    return `nothing answers at ${where}: check the URL and the network${endpoint ? '' : ', or AWS_ENDPOINT_URL for plgate local'}`;
  }
  if (errors.some((e) => e instanceof Error && /^Region is missing/.test(e.message))) {
    return 'no AWS region: set AWS_REGION (e.g. export AWS_REGION=us-east-1), or use a profile that has one';
  }
  if (errors.some(isMissingCredentials)) {
    return 'no AWS credentials: set AWS_PROFILE (or run `aws sso login` / `aws configure`) for the account the stack is in, or set AWS_ENDPOINT_URL to use `plgate local`';
  }
  return undefined;
}

/** The SDK's credential chain found nothing (its CredentialsProviderError, by name or by its message). */
function isMissingCredentials(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'CredentialsProviderError' ||
      /^Could not load credentials from any providers/.test(error.message))
  );
}
