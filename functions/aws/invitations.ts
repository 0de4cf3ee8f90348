/**
 * Invitations in the rules table (kind `invitation`, see shared/tables.ts): created by
 * `plgate invite`, listed and revoked by `plgate invites`, redeemed by the register
 * function with one conditional write, so a code is used at most once.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { INVITATION_ID, type Invitation, type InvitationStatus } from '../core/registration/invitation.ts';
import type { InvitationStore } from '../gate/register.ts';
import { INVITATION_KIND, RULES_TABLE_KEY } from '../shared/tables.ts';
import { isConditionalCheckFailed } from './aws-errors.ts';

export class InvitationStoreError extends Error {
  override name = 'InvitationStoreError';
}

const STATUSES: readonly InvitationStatus[] = ['open', 'redeemed', 'revoked'];

export class DynamoInvitations implements InvitationStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(doc: DynamoDBDocumentClient, rulesTable: string) {
    if (rulesTable === '') throw new InvitationStoreError('rulesTable: must not be empty');
    this.#doc = doc;
    this.#table = rulesTable;
  }

  /** Stores a new invitation; fails if its id is taken (ids are random: a clash is a fault, not a retry). */
  async create(invitation: Invitation): Promise<void> {
    checkId(invitation.id);
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: { [RULES_TABLE_KEY.partitionKey]: INVITATION_KIND, ...invitation },
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': RULES_TABLE_KEY.sortKey },
      }),
    );
  }

  async get(id: string): Promise<Invitation | undefined> {
    if (!INVITATION_ID.test(id)) return undefined;
    const out = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: key(id), ConsistentRead: true }),
    );
    return out.Item === undefined ? undefined : invitationOf(out.Item);
  }

  /** Every invitation, any status. */
  async list(): Promise<Invitation[]> {
    const invitations: Invitation[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: '#kind = :kind',
          ExpressionAttributeNames: { '#kind': RULES_TABLE_KEY.partitionKey },
          ExpressionAttributeValues: { ':kind': INVITATION_KIND },
          ConsistentRead: true,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      invitations.push(...(out.Items ?? []).map(invitationOf));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return invitations.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  /** Ends an open invitation. False when there is none open by that id. */
  async revoke(id: string, at: Date): Promise<boolean> {
    if (!INVITATION_ID.test(id)) return false;
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key(id),
          UpdateExpression: 'SET #status = :revoked, revokedAt = :at',
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':revoked': 'revoked', ':open': 'open', ':at': at.toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async redeem(
    id: string,
    codeHash: string,
    redemption: { account: string; arn: string; at: string },
  ): Promise<boolean> {
    checkId(id);
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key(id),
          UpdateExpression:
            'SET #status = :redeemed, redeemedAt = :at, redeemedAccount = :account, redeemedBy = :arn',
          // Everything that makes a code usable, checked in the same write that uses it up.
          ConditionExpression:
            'codeHash = :hash AND #status = :open AND expiresAt > :at AND (attribute_not_exists(#account) OR #account = :account)',
          ExpressionAttributeNames: { '#status': 'status', '#account': 'account' },
          ExpressionAttributeValues: {
            ':redeemed': 'redeemed',
            ':open': 'open',
            ':hash': codeHash,
            ':at': redemption.at,
            ':account': redemption.account,
            ':arn': redemption.arn,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}

const key = (id: string) => ({
  [RULES_TABLE_KEY.partitionKey]: INVITATION_KIND,
  [RULES_TABLE_KEY.sortKey]: id,
});

function checkId(id: string): void {
  if (!INVITATION_ID.test(id))
    throw new InvitationStoreError(`id: not an invitation id (inv-<16 hex>), got "${id}"`);
}

function invitationOf(item: Record<string, unknown>): Invitation {
  const text = (field: string): string => {
    const value = item[field];
    if (typeof value !== 'string' || value === '') {
      throw new InvitationStoreError(
        `invitation ${String(item.id)}: ${field} is not a string (${JSON.stringify(value)})`,
      );
    }
    return value;
  };
  const optional = (field: string): string | undefined =>
    item[field] === undefined ? undefined : text(field);
  const status = text('status');
  const known = STATUSES.find((s) => s === status);
  if (known === undefined)
    throw new InvitationStoreError(`invitation ${String(item.id)}: unknown status "${status}"`);
  const invitation: Invitation = {
    id: text('id'),
    codeHash: text('codeHash'),
    serviceId: text('serviceId'),
    createdAt: text('createdAt'),
    expiresAt: text('expiresAt'),
    acceptFor: text('acceptFor'),
    createdBy: text('createdBy'),
    status: known,
  };
  for (const field of ['account', 'redeemedAt', 'redeemedAccount', 'redeemedBy', 'revokedAt'] as const) {
    const value = optional(field);
    if (value !== undefined) invitation[field] = value;
  }
  return invitation;
}
