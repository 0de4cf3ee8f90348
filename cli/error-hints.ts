/**
 * What to do next, for the failures a person hits before any gate logic runs: nothing
 * listening where the CLI was pointed, no region to call AWS in, or no credentials to call
 * it with (`--stack NAME` reads the stack's outputs from CloudFormation first). The SDK's own messages
 * ("connect ECONNREFUSED 127.0.0.1:4566", "Region is missing") say what, not why.
 */

/** The error and its causes, and an AggregateError's parts (Node tries IPv6 and IPv4 for localhost). */
function* chain(error: unknown, depth = 0): Generator<unknown> {
  if (error === undefined || error === null || depth > 5) return;
  yield error;
  if (error instanceof AggregateError) for (const part of error.errors) yield* chain(part, depth + 1);
  if (error instanceof Error) yield* chain(error.cause, depth + 1);
}

const codeOf = (error: unknown): unknown =>
  typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;

export function hintFor(error: unknown, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const errors = [...chain(error)];
  if (errors.some((e) => codeOf(e) === 'ECONNREFUSED')) {
    const endpoint = env.AWS_ENDPOINT_URL;
    return endpoint
      ? `nothing answers at ${endpoint} (AWS_ENDPOINT_URL): is \`plgate local\` running? Start it in another terminal with \`npm start\``
      : 'nothing answers at the AWS endpoint: check the network, or AWS_ENDPOINT_URL for plgate local';
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
