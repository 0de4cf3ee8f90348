import { App, type AppProps, type Environment, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONTEXT_KEY, type GateStackConfig, loadGateConfig } from './config.ts';
import { PROJECT_ROOT } from './constructs/gate-function.ts';
import { GateStack } from './gate-stack.ts';
import { SpokeStack } from './spoke-stack.ts';

export interface GateApp {
  app: App;
  stack: GateStack;
  config: GateStackConfig;
  /** With a fleet: one spoke stack per listed member account and region, deployed after the hub. */
  spokes: SpokeStack[];
}

export interface GateAppOptions extends AppProps {
  /** Settings to use instead of context and infra/config.json (tests). */
  config?: GateStackConfig;
  /** Register cdk-nag's AwsSolutionsChecks as a synth-time validation (default true). */
  nag?: boolean;
  /** Account and region (default: CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION, which the CDK CLI sets when it can). */
  env?: Environment;
}

/** `<stackName>-spoke-<account>-<region>` for each listed member region, each in its own account and region. */
function listedSpokes(app: App, hub: GateStack, config: GateStackConfig): SpokeStack[] {
  const fleet = hub.gate.fleet;
  if (config.fleet === undefined || fleet === undefined) return [];
  const spokeRoleName = config.fleet.spokeRoleName;
  return config.fleet.members.flatMap(({ account, regions }) =>
    regions.map((region) => {
      const spoke = new SpokeStack(app, `${config.stackName}-spoke-${account}-${region}`, {
        env: { account, region },
        hub: fleet.spokeHub(),
        spokeRoleName,
      });
      // The spoke subscribes to the hub's queue and targets its bus: the hub goes first.
      spoke.addStackDependency(hub);
      return spoke;
    }),
  );
}

/**
 * The CDK app: config (context `privatelinkGate` over infra/config.json), one GateStack
 * (with a fleet: the hub, and a spoke stack per listed member region), cdk-nag AwsSolutionsChecks. No lookups and no credentials needed: without
 * CDK_DEFAULT_ACCOUNT/REGION the stack is environment-agnostic.
 */
export function buildGateApp(options: GateAppOptions = {}): GateApp {
  const { config: given, nag = true, env, ...appProps } = options;
  const app = new App(appProps);
  const config =
    given ??
    loadGateConfig({
      context: app.node.tryGetContext(CONTEXT_KEY),
      filePath: `${PROJECT_ROOT}infra/config.json`,
    });
  const stack = new GateStack(app, config.stackName, {
    config,
    env: env ?? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  const spokes = listedSpokes(app, stack, config);
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack, config, spokes };
}
