/**
 * The stacks of the local cloud, per account and region, as CloudFormation keeps them:
 * their template, parameters, resources (logical id -> physical id) and outputs. Deleted
 * stacks stay listed (`ListStacks` shows DELETE_COMPLETE) until the cloud restarts.
 */
import type { Template } from './template.ts';

export type StackStatus =
  | 'CREATE_IN_PROGRESS'
  | 'CREATE_COMPLETE'
  | 'ROLLBACK_COMPLETE'
  | 'UPDATE_IN_PROGRESS'
  | 'UPDATE_COMPLETE'
  | 'UPDATE_ROLLBACK_COMPLETE'
  | 'DELETE_IN_PROGRESS'
  | 'DELETE_COMPLETE'
  | 'DELETE_FAILED';

export type ResourceStatus = 'CREATE_COMPLETE' | 'UPDATE_COMPLETE' | 'DELETE_SKIPPED';

export interface StackResourceRecord {
  logicalId: string;
  type: string;
  physicalId: string;
  attributes: Record<string, unknown>;
  /** The resolved properties it was made with (what an update compares). */
  properties: Record<string, unknown>;
  status: ResourceStatus;
  updatedAt: string;
  /** Accepted without effect in the local cloud (an alarm, a log group). */
  noEffect: boolean;
}

export interface StackOutputRecord {
  key: string;
  value: string;
  description?: string;
  exportName?: string;
}

export interface StackRecord {
  name: string;
  id: string;
  account: string;
  region: string;
  status: StackStatus;
  statusReason?: string;
  createdAt: string;
  updatedAt?: string;
  deletedAt?: string;
  description?: string;
  template: Template;
  parameters: Record<string, string>;
  resources: Record<string, StackResourceRecord>;
  outputs: StackOutputRecord[];
}

export class Stacks {
  readonly #stacks: StackRecord[] = [];

  /** The live stack (not deleted) of this name or id in the account and region. */
  find(account: string, region: string, nameOrId: string): StackRecord | undefined {
    return this.#stacks.find(
      (stack) =>
        stack.account === account &&
        stack.region === region &&
        stack.status !== 'DELETE_COMPLETE' &&
        (stack.name === nameOrId || stack.id === nameOrId),
    );
  }

  /** Every stack of the account and region, deleted ones included, newest first. */
  list(account: string, region: string): StackRecord[] {
    return this.#stacks.filter((s) => s.account === account && s.region === region).reverse();
  }

  all(): StackRecord[] {
    return [...this.#stacks];
  }

  add(stack: StackRecord): void {
    this.#stacks.push(stack);
  }

  /** Exports of the live stacks of the account and region (`Fn::ImportValue`). */
  exports(account: string, region: string): Record<string, string> {
    const exports: Record<string, string> = {};
    for (const stack of this.list(account, region)) {
      if (stack.status === 'DELETE_COMPLETE') continue;
      for (const output of stack.outputs) if (output.exportName) exports[output.exportName] = output.value;
    }
    return exports;
  }

  snapshot(): StackRecord[] {
    return this.#stacks.filter((stack) => stack.status !== 'DELETE_COMPLETE');
  }

  restore(snapshot: unknown): void {
    if (!Array.isArray(snapshot)) return;
    this.#stacks.length = 0;
    for (const stack of snapshot as StackRecord[]) this.#stacks.push(stack);
  }
}
