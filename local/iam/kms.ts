import type { PolicyDocument } from './authorizer.ts';

/**
 * The key policy of the local cloud's keys: the default one (what CDK gives the gate's topic
 * key), which lets the account's IAM policies decide who may use the key.
 */
export function keyPolicyOf(account: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'EnableIamPolicies',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  };
}
