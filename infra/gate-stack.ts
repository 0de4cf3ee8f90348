import { Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { GateStackConfig } from './config.ts';
import type { GateFleetHub } from './constructs/fleet-hub.ts';
import type { GateFunction } from './constructs/gate-function.ts';
import type { GateNotifications } from './constructs/notifications.ts';
import type { RegisterApi } from './constructs/register-api.ts';
import type { GateTables } from './constructs/tables.ts';
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
  readonly gate: PrivateLinkGate;
  readonly tables: GateTables;
  readonly notifications: GateNotifications;
  readonly bus: events.EventBus;
  readonly ingest: GateFunction;
  readonly decide: GateFunction;
  /** Connection events wait here for decide, which takes them in batches. */
  readonly decideQueue: Queue;
  readonly sweep: GateFunction;
  readonly ruleChange: GateFunction;
  /** The public register URL and its function; absent with `registerApi: false`. */
  readonly register: RegisterApi | undefined;
  readonly operator: GateFunction;
  /** With `fleet` configured: the hub's fleet resources. */
  readonly fleet: GateFleetHub | undefined;

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
    ({
      tables: this.tables,
      notifications: this.notifications,
      bus: this.bus,
      ingest: this.ingest,
      decide: this.decide,
      decideQueue: this.decideQueue,
      sweep: this.sweep,
      ruleChange: this.ruleChange,
      register: this.register,
      operator: this.operator,
      fleet: this.fleet,
    } = this.gate);
  }

  /** The names and ARNs the permission statements are written in terms of. */
  gateResources(): GateResources {
    return this.gate.gateResources();
  }
}
