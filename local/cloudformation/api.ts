/**
 * CloudFormation's Query API on the edge port, for what clients ask of a deployed stack:
 * `DescribeStacks` (with outputs), `DescribeStackResources`, `DescribeStackResource`,
 * `ListStackResources`, `ListStacks`, `GetTemplate` and `DeleteStack`, per account and
 * region. Stacks are deployed by `plgate local` (the deployer), not through this API.
 */
import type { QueryParams } from '../query-params.ts';
import type { EdgeRequest, EdgeResponse } from '../service.ts';
import { members, type XmlObject, xmlDocument } from '../xml.ts';
import type { Deployer } from './deployer.ts';
import type { StackRecord, StackResourceRecord, Stacks } from './stacks.ts';

export const CLOUDFORMATION_VERSION = '2010-05-15';
const NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
const XML = 'text/xml';

export class CloudFormationError extends Error {
  override name = 'CloudFormationError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export function cloudFormationError(error: CloudFormationError, requestId: string): EdgeResponse {
  return {
    status: error.status,
    headers: { 'content-type': XML, 'x-amzn-requestid': requestId },
    body: xmlDocument('ErrorResponse', NAMESPACE, {
      Error: { Type: 'Sender', Code: error.code, Message: error.message },
      RequestId: requestId,
    }),
  };
}

type Action = (params: QueryParams, account: string, region: string) => Promise<XmlObject>;

export class CloudFormationApi {
  readonly #actions: Record<string, Action>;

  constructor(
    private readonly stacks: Stacks,
    private readonly deployer: Deployer,
  ) {
    this.#actions = {
      DescribeStacks: async (params, account, region) => {
        const name = params.string('StackName');
        const found =
          name === undefined
            ? this.stacks.list(account, region).filter((s) => s.status !== 'DELETE_COMPLETE')
            : [this.stack(account, region, name)];
        return { Stacks: members(found.map(describeStack)) };
      },
      DescribeStackResources: async (params, account, region) => {
        const stack = this.stack(account, region, this.required(params, 'StackName'));
        const logicalId = params.string('LogicalResourceId');
        const resources = Object.values(stack.resources).filter(
          (r) => logicalId === undefined || r.logicalId === logicalId,
        );
        return { StackResources: members(resources.map((r) => stackResource(stack, r))) };
      },
      DescribeStackResource: async (params, account, region) => {
        const stack = this.stack(account, region, this.required(params, 'StackName'));
        const logicalId = this.required(params, 'LogicalResourceId');
        const resource = stack.resources[logicalId];
        if (resource === undefined)
          throw new CloudFormationError(
            'ValidationError',
            `Resource ${logicalId} does not exist for stack ${stack.name}`,
          );
        return {
          StackResourceDetail: {
            ...stackResource(stack, resource),
            LastUpdatedTimestamp: resource.updatedAt,
          },
        };
      },
      ListStackResources: async (params, account, region) => {
        const stack = this.stack(account, region, this.required(params, 'StackName'));
        return {
          StackResourceSummaries: members(
            Object.values(stack.resources).map((r) => ({
              LogicalResourceId: r.logicalId,
              PhysicalResourceId: r.physicalId,
              ResourceType: r.type,
              LastUpdatedTimestamp: r.updatedAt,
              ResourceStatus: r.status,
            })),
          ),
        };
      },
      ListStacks: async (params, account, region) => {
        const filter = params.list('StackStatusFilter.member');
        const listed = this.stacks
          .list(account, region)
          .filter((s) => filter.length === 0 || filter.includes(s.status));
        return {
          StackSummaries: members(
            listed.map((s) => ({
              StackId: s.id,
              StackName: s.name,
              TemplateDescription: s.description,
              CreationTime: s.createdAt,
              LastUpdatedTime: s.updatedAt,
              DeletionTime: s.deletedAt,
              StackStatus: s.status,
            })),
          ),
        };
      },
      GetTemplate: async (params, account, region) => {
        const stack = this.stack(account, region, this.required(params, 'StackName'));
        return {
          TemplateBody: JSON.stringify(stack.template),
          StagesAvailable: members(['Original', 'Processed']),
        };
      },
      DeleteStack: async (params, account, region) => {
        // As CloudFormation: deleting a stack that does not exist succeeds.
        await this.deployer.delete(account, region, this.required(params, 'StackName'));
        return {};
      },
    };
  }

  async handle(request: EdgeRequest, params: QueryParams): Promise<EdgeResponse> {
    const caller = request.caller;
    if (caller === undefined) {
      return cloudFormationError(
        new CloudFormationError(
          'MissingAuthenticationToken',
          request.credentialError?.message ?? 'Request is missing Authentication Token',
          403,
        ),
        request.requestId,
      );
    }
    const action = params.string('Action') ?? '';
    const run = this.#actions[action];
    if (run === undefined) {
      return cloudFormationError(
        new CloudFormationError(
          'InvalidAction',
          `The local cloud's CloudFormation does not answer ${action || 'a request without an Action'} (it answers ${Object.keys(this.#actions).join(', ')})`,
        ),
        request.requestId,
      );
    }
    try {
      const result = await run(params, caller.account, caller.region);
      return {
        status: 200,
        headers: { 'content-type': XML, 'x-amzn-requestid': request.requestId },
        body: xmlDocument(`${action}Response`, NAMESPACE, {
          [`${action}Result`]: result,
          ResponseMetadata: { RequestId: request.requestId },
        }),
      };
    } catch (error) {
      if (error instanceof CloudFormationError) return cloudFormationError(error, request.requestId);
      throw error;
    }
  }

  private stack(account: string, region: string, name: string): StackRecord {
    const stack = this.stacks.find(account, region, name);
    if (stack === undefined)
      throw new CloudFormationError('ValidationError', `Stack with id ${name} does not exist`);
    return stack;
  }

  private required(params: QueryParams, name: string): string {
    const value = params.string(name);
    if (value === undefined || value === '')
      throw new CloudFormationError(
        'ValidationError',
        `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
      );
    return value;
  }
}

function describeStack(stack: StackRecord): XmlObject {
  return {
    StackId: stack.id,
    StackName: stack.name,
    Description: stack.description,
    Parameters: members(
      Object.entries(stack.parameters).map(([key, value]) => ({ ParameterKey: key, ParameterValue: value })),
    ),
    CreationTime: stack.createdAt,
    LastUpdatedTime: stack.updatedAt,
    StackStatus: stack.status,
    StackStatusReason: stack.statusReason,
    DisableRollback: false,
    Outputs: members(
      stack.outputs.map((o) => ({
        OutputKey: o.key,
        OutputValue: o.value,
        Description: o.description,
        ExportName: o.exportName,
      })),
    ),
    Tags: members([]),
    EnableTerminationProtection: false,
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  };
}

function stackResource(stack: StackRecord, resource: StackResourceRecord): XmlObject {
  return {
    StackName: stack.name,
    StackId: stack.id,
    LogicalResourceId: resource.logicalId,
    PhysicalResourceId: resource.physicalId,
    ResourceType: resource.type,
    Timestamp: resource.updatedAt,
    ResourceStatus: resource.status,
    DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' },
  };
}
