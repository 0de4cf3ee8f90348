import type { GateConfig } from '../../../functions/shared/config.ts';

/** The member regions and services the fleet unit tests share (plain data). */
export const A = { account: '111111111111', region: 'us-east-1' };
export const B = { account: '222222222222', region: 'eu-west-1' };
export const C = { account: '333333333333', region: 'us-west-2' };
/** A service in A and one in B. */
export const SVC_A = 'vpce-svc-0aaaaaaaaaaaaaaa1';
export const SVC_B = 'vpce-svc-0bbbbbbbbbbbbbbb2';

/** A hub's resource names, as the commands and the functions are given them. */
export const GATE_CONFIG: GateConfig = {
  rulesTable: 'rules',
  ledgerTable: 'ledger',
  decisionsTopicArn: 'arn:aws:sns:us-east-1:999999999999:decisions',
  ingestTopicArn: 'arn:aws:sns:us-east-1:999999999999:ingest',
  gateBusName: 'gate',
  organizationsLookup: false,
  ledgerRetentionDays: 400,
};

/**
 * STS AssumeRole as a mock answers it (`stsMock.on(AssumeRoleCommand).callsFake(…)`): a
 * session of an hour, except for a spoke role in `refusedAccount`, which throws `refusal`.
 */
export function assumeRoleExcept(refusedAccount: string, refusal: () => Error) {
  return async (input: { RoleArn: string }) => {
    if (input.RoleArn.includes(refusedAccount)) throw refusal();
    return {
      Credentials: {
        AccessKeyId: 'ASIA1',
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    };
  };
}
