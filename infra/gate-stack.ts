import { Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { GateStackConfig } from './config.ts';
import { PrivateLinkGate } from './gate.ts';
import type { GateResources } from './permissions.ts';

export { STACK_OUTPUTS } from './gate.ts';

export interface GateStackProps extends StackProps {
  config: GateStackConfig;
}

/**
 * What a provider deploys, once per account and region: privatelink-gate. The gate is
 * PrivateLinkGate under the id `Default`, which CDK leaves out of logical ids, so the
 * template is the one this stack had before the construct existed.
 */
export class GateStack extends Stack {
  /** The gate itself: its tables, topics, bus, queue and functions. */
  readonly gate: PrivateLinkGate;

  constructor(scope: Construct, id: string, props: GateStackProps) {
    super(scope, id, {
      description: 'privatelink-gate: rule-driven acceptance of AWS PrivateLink connection requests',
      ...props,
    });
    // cfn-lint's schema does not know Tags on AWS::CloudWatch::Dashboard yet (E3002); the dashboard goes untagged.
    Tags.of(this).add('project', 'privatelink-gate', {
      excludeResourceTypes: ['AWS::CloudWatch::Dashboard'],
    });
    this.gate = new PrivateLinkGate(this, 'Default', { config: props.config });
  }

  /** The names and ARNs the permission statements are written in terms of. */
  gateResources(): GateResources {
    return this.gate.gateResources();
  }
}
