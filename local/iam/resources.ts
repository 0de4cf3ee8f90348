/**
 * IAM as a template makes it: `AWS::IAM::Role` (trust policy, inline policies, managed
 * policies), `AWS::IAM::Policy` (an inline policy attached to roles) and
 * `AWS::IAM::ManagedPolicy`. A role's statements are everything attached to it; the
 * authorizer judges each call of a role's session against them.
 */

import { type LocalRoles, roleArnOf } from '../identity.ts';
import type { ResourceProvider, ResourceRequest } from '../service.ts';

type Statement = Record<string, unknown>;

interface RoleRecord {
  name: string;
  account: string;
  trustPolicy: Record<string, unknown>;
  /** policy name -> statements */
  inline: Map<string, Statement[]>;
  managed: string[];
}

export class IamResourceError extends Error {
  override name = 'IamResourceError';
}

const statementsOf = (document: unknown, where: string): Statement[] => {
  if (typeof document !== 'object' || document === null)
    throw new IamResourceError(`${where}: PolicyDocument must be an object`);
  const statement = (document as Record<string, unknown>).Statement;
  if (statement === undefined) return [];
  return (Array.isArray(statement) ? statement : [statement]) as Statement[];
};

const stringList = (value: unknown, where: string): string[] => {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new IamResourceError(`${where} must be a list of strings, got ${JSON.stringify(value)}`);
  return value;
};

const roleKey = (account: string, name: string): string => `${account}/${name}`;

export class IamResources {
  /** `account/name` -> the role (role names are unique within an account, not across a fleet's) */
  readonly #roles = new Map<string, RoleRecord>();
  /** managed policy ARN -> statements */
  readonly #managed = new Map<string, Statement[]>();
  /**
   * AWS::IAM::Policy physical id -> the roles (by name, in `account`) it is attached to; state
   * saved before fleets has no account: its roles are found by name.
   */
  readonly #policies = new Map<string, { name: string; roles: string[]; account?: string }>();

  constructor(private readonly roles: LocalRoles) {}

  readonly resources: readonly ResourceProvider[] = [
    {
      type: 'AWS::IAM::Role',
      create: async (request) => this.putRole(request, undefined),
      update: async (request) => {
        const name = request.properties.RoleName;
        if (name !== undefined && name !== request.physicalId) return 'replace';
        return this.putRole(request, request.physicalId);
      },
      delete: async (request) => {
        const id = roleKey(request.stack.account, request.physicalId);
        const role = this.#roles.get(id);
        if (role === undefined) return;
        this.#roles.delete(id);
        this.roles.remove(roleArnOf(role));
      },
    },
    {
      type: 'AWS::IAM::Policy',
      create: async (request) => this.putPolicy(request, request.generatedName(128)),
      update: async (request) => {
        this.detach(request.physicalId);
        return this.putPolicy(request, request.physicalId);
      },
      delete: async (request) => this.detach(request.physicalId),
    },
    {
      type: 'AWS::IAM::ManagedPolicy',
      create: async (request) => {
        const name =
          typeof request.properties.ManagedPolicyName === 'string'
            ? request.properties.ManagedPolicyName
            : request.generatedName(128);
        const arn = `arn:aws:iam::${request.stack.account}:policy/${name}`;
        this.#managed.set(
          arn,
          statementsOf(request.properties.PolicyDocument, `${request.logicalId}.PolicyDocument`),
        );
        for (const role of stringList(request.properties.Roles, `${request.logicalId}.Roles`)) {
          const id = roleKey(request.stack.account, role);
          this.#roles.get(id)?.managed.push(arn);
          this.refresh(id);
        }
        return { physicalId: arn, attributes: { PolicyArn: arn } };
      },
      delete: async (request) => {
        this.#managed.delete(request.physicalId);
        for (const [id, role] of this.#roles) {
          role.managed = role.managed.filter((arn) => arn !== request.physicalId);
          this.refresh(id);
        }
      },
    },
  ];

  private async putRole(request: ResourceRequest, existing: string | undefined) {
    const { properties, logicalId, stack } = request;
    const name =
      existing ?? (typeof properties.RoleName === 'string' ? properties.RoleName : request.generatedName(64));
    const id = roleKey(stack.account, name);
    const before = this.#roles.get(id);
    const inline = new Map<string, Statement[]>();
    // Policies attached by AWS::IAM::Policy resources stay attached across an update.
    for (const [policy, statements] of before?.inline ?? []) {
      if (
        [...this.#policies.values()].some(
          (p) =>
            p.name === policy && p.roles.includes(name) && (p.account ?? stack.account) === stack.account,
        )
      )
        inline.set(policy, statements);
    }
    const policies = properties.Policies ?? [];
    if (!Array.isArray(policies)) throw new IamResourceError(`${logicalId}.Policies must be a list`);
    for (const [i, policy] of policies.entries()) {
      const { PolicyName, PolicyDocument } = (policy ?? {}) as Record<string, unknown>;
      if (typeof PolicyName !== 'string')
        throw new IamResourceError(`${logicalId}.Policies[${i}].PolicyName must be a string`);
      inline.set(PolicyName, statementsOf(PolicyDocument, `${logicalId}.Policies[${i}]`));
    }
    const managed = stringList(properties.ManagedPolicyArns, `${logicalId}.ManagedPolicyArns`);
    const trust = properties.AssumeRolePolicyDocument;
    if (typeof trust !== 'object' || trust === null)
      throw new IamResourceError(`${logicalId}.AssumeRolePolicyDocument must be a policy document`);
    this.#roles.set(id, {
      name,
      account: stack.account,
      trustPolicy: trust as Record<string, unknown>,
      inline,
      managed,
    });
    this.refresh(id);
    const arn = roleArnOf({ account: stack.account, name });
    return {
      physicalId: name,
      attributes: {
        Arn: arn,
        RoleId: `AROA${name
          .toUpperCase()
          .replace(/[^A-Z0-9]/g, '')
          .slice(0, 17)}`,
      },
    };
  }

  private putPolicy(request: ResourceRequest, physicalId: string) {
    const { properties, logicalId, stack } = request;
    const name = properties.PolicyName;
    if (typeof name !== 'string') throw new IamResourceError(`${logicalId}.PolicyName must be a string`);
    const statements = statementsOf(properties.PolicyDocument, `${logicalId}.PolicyDocument`);
    const roles = stringList(properties.Roles, `${logicalId}.Roles`);
    for (const role of roles) {
      const id = roleKey(stack.account, role);
      const record = this.#roles.get(id);
      if (record === undefined) throw new IamResourceError(`${logicalId}: role ${role} does not exist`);
      record.inline.set(name, statements);
      this.refresh(id);
    }
    this.#policies.set(physicalId, { name, roles, account: stack.account });
    return { physicalId, attributes: {} };
  }

  private detach(physicalId: string): void {
    const policy = this.#policies.get(physicalId);
    if (policy === undefined) return;
    this.#policies.delete(physicalId);
    for (const role of policy.roles) {
      const id =
        policy.account === undefined
          ? [...this.#roles.keys()].find((key) => key.endsWith(`/${role}`))
          : roleKey(policy.account, role);
      if (id === undefined) continue;
      this.#roles.get(id)?.inline.delete(policy.name);
      this.refresh(id);
    }
  }

  /** Defines the role (by `account/name`) for the authorizer with every statement attached to it. */
  private refresh(id: string): void {
    const role = this.#roles.get(id);
    if (role === undefined) return;
    const { name } = role;
    const statements = [
      ...[...role.inline.values()].flat(),
      ...role.managed.flatMap((arn) => this.#managed.get(arn) ?? []),
    ];
    this.roles.define({ name, account: role.account, statements, trustPolicy: role.trustPolicy });
  }

  snapshot(): unknown {
    return {
      roles: [...this.#roles.values()].map((r) => ({ ...r, inline: [...r.inline] })),
      managed: [...this.#managed],
      policies: [...this.#policies],
    };
  }

  restore(snapshot: unknown): void {
    const saved = snapshot as {
      roles?: (Omit<RoleRecord, 'inline'> & { inline: [string, Statement[]][] })[];
      managed?: [string, Statement[]][];
      policies?: [string, { name: string; roles: string[] }][];
    };
    for (const [arn, statements] of saved.managed ?? []) this.#managed.set(arn, statements);
    for (const [id, policy] of saved.policies ?? []) this.#policies.set(id, policy);
    for (const role of saved.roles ?? []) {
      const id = roleKey(role.account, role.name);
      this.#roles.set(id, { ...role, inline: new Map(role.inline) });
      this.refresh(id);
    }
  }
}
