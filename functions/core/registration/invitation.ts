/**
 * An invitation to register: a single-use code for one service, maybe pinned to one
 * account, until a deadline. The code is `inv-<16 hex>.<secret>`: the first part names
 * the invitation (shown in listings), the secret (256 random bits) is shown once and
 * only its SHA-256 is stored, so the table never holds a usable code.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const INVITATION_ID = /^inv-[0-9a-f]{16}$/;
const CODE = /^(inv-[0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

export type InvitationStatus = 'open' | 'redeemed' | 'revoked';

export interface Invitation {
  id: string;
  /** SHA-256 of the whole code, hex. */
  codeHash: string;
  serviceId: string;
  /** Only this account may redeem it, when set. */
  account?: string;
  createdAt: string;
  expiresAt: string;
  /** How long the accept rule a redemption writes is valid (ISO-8601 duration). */
  acceptFor: string;
  createdBy: string;
  status: InvitationStatus;
  redeemedAt?: string;
  redeemedAccount?: string;
  /** The ARN STS returned for the signer. */
  redeemedBy?: string;
  revokedAt?: string;
}

export class InvitationCodeError extends Error {
  override name = 'InvitationCodeError';
}

/** The code from the invitation id and its secret (43 base64url characters = 256 bits). */
export function invitationCode(id: string, secret: string): string {
  const code = `${id}.${secret}`;
  if (!CODE.test(code))
    throw new InvitationCodeError(`not an invitation code: id ${id}, secret of ${secret.length} characters`);
  return code;
}

/** The invitation id inside a code; throws InvitationCodeError for anything that is not a code. */
export function invitationIdOf(code: string): string {
  const match = CODE.exec(code);
  if (match === null)
    throw new InvitationCodeError('code: not an invitation code (inv-<16 hex>.<43 characters>)');
  return match[1] ?? '';
}

export function codeHash(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

/** Whether a code is the one an invitation was made with, in constant time. */
export function codeMatches(invitation: Pick<Invitation, 'codeHash'>, code: string): boolean {
  const given = Buffer.from(codeHash(code), 'hex');
  const stored = Buffer.from(invitation.codeHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
