/**
 * Whether the hub may accept in a member region, without accepting anything: a `DryRun`
 * AcceptVpcEndpointConnections on one of its managed services. EC2 checks the caller's
 * permission before anything else and answers DryRunOperation when it would be allowed.
 */
import { AcceptVpcEndpointConnectionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { errorCode, errorMessage } from './aws-errors.ts';
import { isMemberUnreachable } from './fleet-endpoint-services.ts';

/** An endpoint id that names nobody's endpoint: the probe must not touch a real one. */
const PROBE_ENDPOINT_ID = 'vpce-00000000000000000';

export type AcceptProbe =
  | { allowed: true }
  | { allowed: false; reason: string }
  /** The answer said neither (a throttle, a network fault): nothing is known. */
  | { allowed: undefined; reason: string };

export async function probeAccept(ec2: EC2Client, serviceId: string): Promise<AcceptProbe> {
  try {
    await ec2.send(
      new AcceptVpcEndpointConnectionsCommand({
        DryRun: true,
        ServiceId: serviceId,
        VpcEndpointIds: [PROBE_ENDPOINT_ID],
      }),
    );
    // A DryRun that succeeds is not EC2's answer; treat it as not proven.
    return { allowed: undefined, reason: 'the dry run was answered as a real call' };
  } catch (error) {
    const code = errorCode(error);
    if (code === 'DryRunOperation') return { allowed: true };
    const reason = `${code ?? 'Error'}: ${errorMessage(error)}`;
    if (isMemberUnreachable(error)) return { allowed: false, reason };
    return { allowed: undefined, reason };
  }
}
