/**
 * Sends a checked proof (core/registration/sts-request.ts) to STS exactly as signed, and
 * reads the answer. No redirects are followed: an answer comes from the checked host or
 * not at all.
 */
import { readStsAnswer, type StsAnswer } from '../core/registration/sts-answer.ts';
import type { CheckedStsRequest } from '../core/registration/sts-request.ts';
import type { CallerIdentityVerifier } from '../gate/register.ts';

const MAX_ANSWER_BYTES = 64 * 1024;

export class StsUnreachableError extends Error {
  override name = 'StsUnreachableError';
}

export class FetchCallerIdentityVerifier implements CallerIdentityVerifier {
  readonly #timeoutMs: number;

  constructor(options: { timeoutMs?: number } = {}) {
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  async callerIdentity(request: CheckedStsRequest): Promise<StsAnswer> {
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.method === 'POST' ? { body: request.body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new StsUnreachableError(`STS at ${new URL(request.url).origin} did not answer`, { cause: error });
    }
    const text = await response.text();
    if (text.length > MAX_ANSWER_BYTES) {
      throw new StsUnreachableError(`STS answered ${text.length} bytes, more than an identity takes`);
    }
    return readStsAnswer(response.status, text);
  }
}
