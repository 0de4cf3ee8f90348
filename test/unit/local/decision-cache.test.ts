import { describe, expect, it } from 'vitest';
import { Authorizer } from '../../../local/iam/authorizer.ts';
import { DecisionCache, type DecisionInput } from '../../../local/iam/decision-cache.ts';
import type { LocalRole, Principal } from '../../../local/identity.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/rules';

const question = (overrides: Partial<DecisionInput> = {}): DecisionInput => ({
  principal: 'arn:aws:sts::000000000000:assumed-role/decide/decide',
  action: 'dynamodb:GetItem',
  resource: TABLE,
  resourceAccount: '000000000000',
  context: {},
  policies: [[{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: TABLE }], null],
  ...overrides,
});

/** A cache whose simulator answers with a fresh number each time it is really asked. */
function counting() {
  const cache = new DecisionCache<number>();
  let asked = 0;
  const decide = (input: DecisionInput) => cache.decide(input, async () => ++asked);
  return { decide, asked: () => asked };
}

describe('DecisionCache', () => {
  it('asks the simulator once for the same question', async () => {
    const { decide, asked } = counting();
    expect(await decide(question())).toBe(1);
    expect(await decide(question())).toBe(1);
    expect(asked()).toBe(1);
  });

  it('asks again when the action, resource, principal or a policy differs', async () => {
    const { decide, asked } = counting();
    await decide(question());
    await decide(question({ action: 'dynamodb:PutItem' }));
    await decide(question({ resource: `${TABLE}-other` }));
    await decide(question({ principal: 'arn:aws:sts::000000000000:assumed-role/sweep/sweep' }));
    await decide(question({ policies: [[{ Effect: 'Deny', Action: '*', Resource: '*' }], null] }));
    expect(asked()).toBe(5);
  });

  it('ignores context keys no policy names, and keys on those a policy names, in any case', async () => {
    const { decide, asked } = counting();
    await decide(question({ context: { 'dynamodb:LeadingKeys': ['rule'] } }));
    await decide(question({ context: { 'dynamodb:LeadingKeys': ['meta'] } }));
    expect(asked()).toBe(1);
    const naming = [
      [
        {
          Effect: 'Allow',
          Action: '*',
          Resource: '*',
          Condition: { 'ForAllValues:StringEquals': { 'DynamoDB:LeadingKeys': ['rule'] } },
        },
      ],
      null,
    ];
    await decide(question({ policies: naming, context: { 'dynamodb:LeadingKeys': ['rule'] } }));
    await decide(question({ policies: naming, context: { 'dynamodb:LeadingKeys': ['meta'] } }));
    await decide(question({ policies: naming, context: { 'dynamodb:LeadingKeys': ['rule'] } }));
    expect(asked()).toBe(3);
  });

  it('keys on the whole context when a policy uses a policy variable', async () => {
    const { decide, asked } = counting();
    const variable = [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template
      [{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::bucket/${aws:username}/*' }],
      null,
    ];
    await decide(question({ policies: variable, context: { 'aws:username': 'a' } }));
    await decide(question({ policies: variable, context: { 'aws:username': 'b' } }));
    expect(asked()).toBe(2);
  });
});

describe('Authorizer with remembered decisions', () => {
  const role = (statements: Record<string, unknown>[]): LocalRole => ({
    name: 'register',
    account: '000000000000',
    accessKeyId: 'ASIAREGISTER',
    statements,
  });
  const principal = (r: LocalRole): Principal => ({
    kind: 'role',
    account: r.account,
    arn: `arn:aws:sts::${r.account}:assumed-role/${r.name}/${r.name}`,
    roleArn: `arn:aws:iam::${r.account}:role/${r.name}`,
    role: r,
  });
  const put = (kind: string) => ({
    action: 'dynamodb:PutItem',
    resource: TABLE,
    resourceAccount: '000000000000',
    context: { 'dynamodb:LeadingKeys': [kind] },
  });

  it('judges each partition under a leading-keys condition, and a changed statement at once', async () => {
    const narrow = role([
      {
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: TABLE,
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['rule'] } },
      },
    ]);
    const authorizer = new Authorizer(() => {});
    await authorizer.authorize(principal(narrow), [put('rule')]);
    await authorizer.authorize(principal(narrow), [put('rule')]);
    await expect(authorizer.authorize(principal(narrow), [put('meta')])).rejects.toThrow(
      /not authorized to perform: dynamodb:PutItem/,
    );
    // The same role with its statement removed: refused at once, not answered from memory.
    narrow.statements = [];
    await expect(authorizer.authorize(principal(narrow), [put('rule')])).rejects.toThrow(
      /because no identity-based policy allows/,
    );
  });
});
