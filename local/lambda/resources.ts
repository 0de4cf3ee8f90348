/**
 * The CloudFormation resource types of Lambda the deployer creates through the service:
 * functions, their permissions and their async invoke configurations.
 */
import type { LocalRoles } from '../identity.ts';
import type { CreatedResource, ResourceProvider, ResourceRequest } from '../service.ts';
import { type FunctionDefinition, FunctionDefinitionError, functionDefinitionOf } from './definition.ts';
import { checkCode } from './deployed-function.ts';
import { type AsyncInvokeConfig, asyncInvokeConfigOf, InvokeConfigDefinitionError } from './invoke-config.ts';
import { type FunctionPermission, PermissionDefinitionError, permissionOf } from './permission.ts';

/** What the providers change in the service. */
export interface LambdaResources {
  roles: LocalRoles;
  now: () => number;
  hasFunction(functionArn: string): boolean;
  putFunction(definition: FunctionDefinition): void;
  removeFunction(functionArn: string): Promise<void>;
  putPermission(permission: FunctionPermission): void;
  removePermission(id: string): void;
  invokeConfigOf(functionArn: string): AsyncInvokeConfig | undefined;
  putInvokeConfig(config: AsyncInvokeConfig): void;
  removeInvokeConfig(id: string): void;
}

function definitionFrom(resources: LambdaResources, request: ResourceRequest): FunctionDefinition {
  return functionDefinitionOf(request.properties, {
    logicalId: request.logicalId,
    account: request.stack.account,
    region: request.stack.region,
    generatedName: () => request.generatedName(64),
    now: new Date(resources.now()),
  });
}

async function checkDeployable(
  resources: LambdaResources,
  definition: FunctionDefinition,
  logicalId: string,
) {
  if (resources.roles.byRoleArn(definition.role) === undefined)
    throw new FunctionDefinitionError(
      `${logicalId} (AWS::Lambda::Function): Role ${definition.role} does not exist: the role defined for the function cannot be assumed by Lambda`,
    );
  await checkCode(definition);
}

const created = (definition: FunctionDefinition): CreatedResource => ({
  physicalId: definition.name,
  attributes: { Arn: definition.arn },
});

export function lambdaResourceProviders(resources: LambdaResources): ResourceProvider[] {
  const functions: ResourceProvider = {
    type: 'AWS::Lambda::Function',
    async create(request) {
      const definition = definitionFrom(resources, request);
      if (resources.hasFunction(definition.arn))
        throw new FunctionDefinitionError(
          `${request.logicalId} (AWS::Lambda::Function): Function already exist: ${definition.name}`,
        );
      await checkDeployable(resources, definition, request.logicalId);
      resources.putFunction(definition);
      return created(definition);
    },
    async update(request) {
      // A new name replaces the function; a template that names none keeps the one it was given.
      if (request.previous.FunctionName !== request.properties.FunctionName) return 'replace';
      const properties = { ...request.properties, FunctionName: request.physicalId };
      const definition = definitionFrom(resources, { ...request, properties });
      await checkDeployable(resources, definition, request.logicalId);
      resources.putFunction(definition);
      return created(definition);
    },
    async delete(request) {
      const { account, region } = request.stack;
      await resources.removeFunction(`arn:aws:lambda:${region}:${account}:function:${request.physicalId}`);
    },
  };

  const permissions: ResourceProvider = {
    type: 'AWS::Lambda::Permission',
    async create(request) {
      const id = request.generatedName();
      const permission = permissionOf(request.properties, {
        logicalId: request.logicalId,
        id,
        account: request.stack.account,
        region: request.stack.region,
      });
      if (!resources.hasFunction(permission.functionArn))
        throw new PermissionDefinitionError(
          `${request.logicalId} (AWS::Lambda::Permission): Function not found: ${permission.functionArn}`,
        );
      resources.putPermission(permission);
      return { physicalId: id, attributes: {} };
    },
    // Every property of a permission replaces it (no update).
    async delete(request) {
      resources.removePermission(request.physicalId);
    },
  };

  const configFrom = (request: ResourceRequest, id: string): AsyncInvokeConfig => {
    const config = asyncInvokeConfigOf(request.properties, {
      logicalId: request.logicalId,
      id,
      account: request.stack.account,
      region: request.stack.region,
    });
    if (!resources.hasFunction(config.functionArn))
      throw new InvokeConfigDefinitionError(
        `${request.logicalId} (AWS::Lambda::EventInvokeConfig): Function not found: ${config.functionArn}`,
      );
    return config;
  };

  const invokeConfigs: ResourceProvider = {
    type: 'AWS::Lambda::EventInvokeConfig',
    async create(request) {
      const id = request.generatedName();
      const config = configFrom(request, id);
      if (resources.invokeConfigOf(config.functionArn) !== undefined)
        throw new InvokeConfigDefinitionError(
          `${request.logicalId} (AWS::Lambda::EventInvokeConfig): ${config.functionArn} already has an event invoke configuration`,
        );
      resources.putInvokeConfig(config);
      return { physicalId: id, attributes: {} };
    },
    async update(request) {
      const config = configFrom(request, request.physicalId);
      // FunctionName and Qualifier replace it; the rest changes in place.
      if (resources.invokeConfigOf(config.functionArn)?.id !== request.physicalId) return 'replace';
      resources.putInvokeConfig(config);
      return { physicalId: request.physicalId, attributes: {} };
    },
    async delete(request) {
      resources.removeInvokeConfig(request.physicalId);
    },
  };

  return [functions, permissions, invokeConfigs];
}
