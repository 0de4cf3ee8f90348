import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/exit.ts';
import { resolveTarget } from '../../../cli/gate-target.ts';

describe('which gate a command talks to', () => {
  it('with nothing to go on, a usage error naming every missing flag and variable', async () => {
    await expect(resolveTarget({}, { AWS_REGION: 'eu-west-1' })).rejects.toThrow(UsageError);
    await expect(resolveTarget({}, { AWS_REGION: 'eu-west-1' })).rejects.toThrow(
      /--rules-table \(or RULES_TABLE\), --ledger-table \(or LEDGER_TABLE\)/,
    );
  });

  it('plgate local: the provider credentials and region; flags over the environment, no stack read when both name everything', async () => {
    const target = await resolveTarget(
      { rulesTable: 'from-flag' },
      {
        AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
        RULES_TABLE: 'from-env',
        LEDGER_TABLE: 'ledger-from-env',
        DECISIONS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:decisions',
        INGEST_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:ingest',
        GATE_BUS_NAME: 'bus',
      },
    );
    try {
      expect(target.local).toBe(true);
      expect(target.region).toBe('us-east-1');
      expect(target.config).toMatchObject({
        rulesTable: 'from-flag',
        ledgerTable: 'ledger-from-env',
        decisionsTopicArn: 'arn:aws:sns:us-east-1:000000000000:decisions',
        gateBusName: 'bus',
      });
      const credentials = await target.clients.ec2.config.credentials();
      expect(credentials.accessKeyId).toBe('provider');
    } finally {
      target.close();
    }
  });

  it('refuses a malformed stack name before calling AWS', async () => {
    await expect(resolveTarget({ stack: 'not a stack!' }, { AWS_REGION: 'eu-west-1' })).rejects.toThrow(
      /--stack must be a CloudFormation stack name, got 'not a stack!'/,
    );
  });
});
