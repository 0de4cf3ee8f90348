/**
 * The AWS SDK clients of the gate. The handlers' runtime builds them once per container
 * (cold start) and injects them into the adapters; `plgate local` builds the same
 * clients pointed at its edge port.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type ClientOptions, clientConfig } from './client-config.ts';

export interface AwsClients {
  ec2: EC2Client;
  dynamodb: DynamoDBDocumentClient;
  sns: SNSClient;
  eventBridge: EventBridgeClient;
  organizations: OrganizationsClient;
}

export function createClients(options: ClientOptions = {}, env: NodeJS.ProcessEnv = process.env): AwsClients {
  const config = clientConfig(options, env);
  return {
    ec2: new EC2Client(clientConfig(options, env, 'adaptive')),
    dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient(config), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    sns: new SNSClient(config),
    eventBridge: new EventBridgeClient(config),
    organizations: new OrganizationsClient(config),
  };
}
