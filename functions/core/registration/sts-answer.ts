/**
 * STS's answer to a forwarded GetCallerIdentity: the account and ARN of whoever signed
 * it, or STS's refusal. Query-protocol XML, or JSON when the proof asked for it.
 */
import { XMLParser } from 'fast-xml-parser';

export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

export type StsAnswer = { ok: true; identity: CallerIdentity } | { ok: false; code: string; message: string };

const ACCOUNT = /^[0-9]{12}$/;
const ARN = /^arn:aws[a-z-]*:(?:iam|sts)::([0-9]{12}):[\x21-\x7e]{1,1024}$/;

export class StsAnswerError extends Error {
  override name = 'StsAnswerError';
}

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, processEntities: false });

/** Reads STS's answer; throws StsAnswerError when a 200 does not name one consistent account. */
export function readStsAnswer(status: number, body: string): StsAnswer {
  const document = parse(body);
  if (status !== 200) {
    const error = pick(document, ['ErrorResponse', 'Error']) ?? pick(document, ['Error']);
    return {
      ok: false,
      code: stringAt(error, 'Code') ?? `HTTP ${status}`,
      message: stringAt(error, 'Message') ?? 'STS refused the request',
    };
  }
  const result = pick(document, ['GetCallerIdentityResponse', 'GetCallerIdentityResult']);
  const account = stringAt(result, 'Account');
  const arn = stringAt(result, 'Arn');
  const userId = stringAt(result, 'UserId') ?? '';
  if (account === undefined || !ACCOUNT.test(account)) {
    throw new StsAnswerError(
      `STS answered 200 without a 12-digit Account (got ${JSON.stringify(account ?? null)})`,
    );
  }
  const arnAccount = ARN.exec(arn ?? '')?.[1];
  if (arnAccount !== account) {
    throw new StsAnswerError(
      `STS answered Arn ${JSON.stringify(arn ?? null)}, which is not of account ${account}`,
    );
  }
  return { ok: true, identity: { account, arn: arn ?? '', userId } };
}

function parse(body: string): unknown {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  if (!text.startsWith('<')) return undefined;
  try {
    return parser.parse(text);
  } catch {
    return undefined;
  }
}

function pick(value: unknown, path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function stringAt(value: unknown, key: string): string | undefined {
  const found = pick(value, [key]);
  return typeof found === 'string' ? found : undefined;
}
