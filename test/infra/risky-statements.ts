import { asList, type Statement, statementsOf, type TemplateJson } from './synth.ts';

/** Where policies live in a template: identity policies and every resource policy. */
const POLICY_PROPERTIES: Record<string, string[]> = {
  'AWS::IAM::Policy': ['PolicyDocument'],
  'AWS::IAM::ManagedPolicy': ['PolicyDocument'],
  'AWS::IAM::Role': ['AssumeRolePolicyDocument'],
  'AWS::KMS::Key': ['KeyPolicy'],
  'AWS::SNS::TopicPolicy': ['PolicyDocument'],
  'AWS::SQS::QueuePolicy': ['PolicyDocument'],
  'AWS::Events::EventBusPolicy': ['Statement'],
};

export interface LocatedStatement {
  where: string;
  statement: Statement;
}

/** Every policy statement in the template, inline role policies included. */
export function everyStatement(json: TemplateJson): LocatedStatement[] {
  const found: LocatedStatement[] = [];
  for (const [logicalId, resource] of Object.entries(json.Resources)) {
    const properties = resource.Properties ?? {};
    for (const property of POLICY_PROPERTIES[resource.Type] ?? []) {
      for (const statement of statementsOf(properties[property])) {
        found.push({ where: `${logicalId}.${property}`, statement });
      }
    }
    const inline = properties.Policies;
    if (resource.Type === 'AWS::IAM::Role' && Array.isArray(inline)) {
      for (const policy of inline) {
        for (const statement of statementsOf(policy?.PolicyDocument)) {
          found.push({ where: `${logicalId}.Policies`, statement });
        }
      }
    }
  }
  return found;
}

const READ_ONLY_EC2 = /^ec2:(Describe|Get|List)[A-Za-z]+$/;

/**
 * Allow statements that grant too much: `Action: *`, `NotAction`, or a mutating EC2
 * action (anything but a fully spelled Describe*, Get*, List*) on `*` with no condition.
 */
export function riskyStatements(located: LocatedStatement[]): string[] {
  const problems: string[] = [];
  for (const { where, statement } of located) {
    if (statement.Effect !== 'Allow') continue;
    const actions = asList(statement.Action);
    if (actions.includes('*')) problems.push(`${where}: Action "*"`);
    if (statement.NotAction !== undefined) problems.push(`${where}: NotAction grants everything else`);
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    const onEverything = resources.includes('*') || statement.NotResource !== undefined;
    const unconditioned = statement.Condition === undefined || Object.keys(statement.Condition).length === 0;
    const mutatingEc2 = actions.filter((action) => /^ec2:/i.test(action) && !READ_ONLY_EC2.test(action));
    if (mutatingEc2.length > 0 && onEverything && unconditioned) {
      problems.push(`${where}: ${mutatingEc2.join(', ')} on "*" without a condition`);
    }
  }
  return problems;
}
