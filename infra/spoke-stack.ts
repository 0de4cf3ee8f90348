import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, BootstraplessSynthesizer, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PrivateLinkGateSpoke, type PrivateLinkGateSpokeProps } from './constructs/spoke.ts';

const DESCRIPTION =
  'privatelink-gate spoke: forwards connection notifications and provider calls to the hub, and lets the hub act on tagged endpoint services';

export interface SpokeStackProps extends StackProps, PrivateLinkGateSpokeProps {}

/** One listed member's account and region (`cdk deploy --all` deploys it with the hub). */
export class SpokeStack extends Stack {
  readonly spoke: PrivateLinkGateSpoke;

  constructor(scope: Construct, id: string, props: SpokeStackProps) {
    const { hub, spokeRoleName, ...stackProps } = props;
    super(scope, id, { description: DESCRIPTION, ...stackProps });
    Tags.of(this).add('project', 'privatelink-gate');
    this.spoke = new PrivateLinkGateSpoke(this, 'Spoke', {
      hub,
      ...(spokeRoleName === undefined ? {} : { spokeRoleName }),
    });
  }
}

/**
 * The spoke's template for a StackSet, from the same construct: environment-agnostic (the
 * account and region are CloudFormation's pseudo parameters), with no bootstrap parameter,
 * no CDK metadata and no asset (the synthesizer refuses one), since the accounts a
 * service-managed StackSet deploys to were never bootstrapped.
 */
export function spokeTemplate(props: PrivateLinkGateSpokeProps): Record<string, unknown> {
  const outdir = mkdtempSync(join(tmpdir(), 'plgate-spoke-'));
  try {
    const app = new App({
      outdir,
      analyticsReporting: false,
      context: { 'aws:cdk:enable-path-metadata': false },
    });
    const stack = new SpokeStack(app, 'Spoke', { ...props, synthesizer: new BootstraplessSynthesizer() });
    return app.synth().getStackArtifact(stack.artifactId).template;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
