import { randomUUID } from 'node:crypto';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { createGateAdapters, decideDepsOf } from '../../functions/aws/gate-adapters.ts';
import { ruleSetFromItems } from '../../functions/core/rules/rule-set.ts';
import { decideConnectionEvent } from '../../functions/gate/decide-event.ts';
import { endpointIdArgument, serviceIdOption } from '../arguments.ts';
import { findConnection, judge } from '../connection-lookup.ts';
import { type GateTarget, type TargetFlags, withTarget, withTargetOptions } from '../gate-target.ts';
import { outcomeText, printJson, printLine } from '../output.ts';

interface ApproveFlags extends TargetFlags {
  service?: string;
  reason?: string;
  json?: boolean;
}

type Verdict = 'approve' | 'deny';

export function registerApprove(program: Command): void {
  for (const verdict of ['approve', 'deny'] as const) {
    withTargetOptions(
      program
        .command(verdict)
        .description(
          verdict === 'approve'
            ? 'accept one endpoint: a one-off accept rule, then an immediate decision'
            : 'reject one endpoint: a one-off reject rule, then an immediate decision',
        )
        .argument('<endpoint>', 'the endpoint id (vpce-…)')
        .option(
          '--service <id>',
          'the service the endpoint connects to (default: look in every managed service)',
        )
        .option('--reason <text>', 'why, kept in the rule’s meta')
        .option('--json', 'print the rule and the result as JSON'),
    ).action(async (endpoint: string, flags: ApproveFlags) => {
      const endpointId = endpointIdArgument(endpoint);
      const serviceId = flags.service ? serviceIdOption(flags.service) : undefined;
      const result = await withTarget(flags, (target) =>
        decideByHand(target, verdict, endpointId, serviceId, flags),
      );
      if (flags.json) printJson(result);
      else if (!result.written) {
        printLine(
          `${result.rule.id} not written: ${result.refusal ?? ''}; ` +
            `the rules say ${result.decision} (${result.reasons.join('; ')})`,
        );
      } else {
        printLine(`rule ${result.rule.id} written (${result.rule.effect} ${endpointId}, by ${result.by})`);
        for (const entry of result.entries) {
          printLine(
            `${entry.endpointId}: ${outcomeText(entry.outcome, entry.dryRun)} — ${entry.reasons.join('; ')}`,
          );
        }
        if (result.entries.length === 0) {
          printLine(
            `${endpointId} is ${result.state}: the rules say ${result.decision} (${result.reasons.join('; ')})`,
          );
        }
      }
      // Done only when the rules now give what was asked: an approval that a reject rule
      // overrides, or that an undetermined rule still holds, did not do what was asked.
      const wanted = verdict === 'approve' ? 'accept' : 'reject';
      if (result.decision !== wanted) process.exitCode = 1;
    });
  }
}

async function decideByHand(
  target: GateTarget,
  verdict: Verdict,
  endpointId: string,
  serviceId: string | undefined,
  flags: ApproveFlags,
) {
  const adapters = createGateAdapters(target.config, target.clients);
  const connection = await findConnection(adapters, endpointId, serviceId);
  const rule = {
    kind: 'rule',
    id: `${verdict}-${endpointId}`,
    effect: verdict === 'approve' ? 'accept' : 'reject',
    description: `${verdict === 'approve' ? 'approved' : 'denied'} by hand with plgate ${verdict}`,
    services: [connection.serviceId],
    match: { endpoints: [endpointId] },
    meta: { by: '', reason: flags.reason ?? '(none given)', at: new Date().toISOString() },
  };
  const opposite = `${verdict === 'approve' ? 'deny' : 'approve'}-${endpointId}`;

  if (verdict === 'approve') {
    // Reject wins over accept (DESIGN §3): an approval a reject rule overrides would sit in
    // the table doing nothing, and take effect unseen the day that rule goes. Say so instead.
    const items = (await adapters.rulesStore.items()).filter(
      (item) =>
        item.kind !== 'meta' && !(item.kind === 'rule' && (item.id === opposite || item.id === rule.id)),
    );
    const { ruleSet } = ruleSetFromItems([...items, rule]);
    const [would] = await judge(adapters, [connection], ruleSet);
    if (would?.record.decision === 'reject') {
      const by = would.record.rule ? `reject rule "${would.record.rule}"` : 'the rules';
      return {
        written: false,
        refusal: `${by} matches ${endpointId}, and reject wins over accept: disable or narrow it first`,
        rule,
        by: '',
        entries: [],
        state: connection.state,
        decision: would.record.decision,
        reasons: would.record.reasons,
      };
    }
  }

  const by = await callerOf(target);
  rule.meta.by = by;
  await adapters.rulesStore.deleteItems([{ kind: 'rule', id: opposite }]);
  await adapters.rulesStore.putItems([rule]);
  await adapters.rulesStore.bumpVersion();

  const region = process.env.AWS_REGION;
  const decided = await decideConnectionEvent(
    { serviceId: connection.serviceId, endpointId, trigger: 'manual' },
    {
      ...decideDepsOf(adapters, `plgate-cli-${randomUUID()}`, region ? { region } : {}),
      rules: adapters.rules,
    },
  );
  const entries = decided.status === 'decided' ? decided.entries : [];
  const { ruleSet } = await adapters.rules.current();
  const [now] = await judge(
    adapters,
    [await findConnection(adapters, endpointId, connection.serviceId)],
    ruleSet,
  );
  return {
    written: true,
    refusal: undefined,
    rule,
    by,
    entries,
    state: now?.connection.state ?? connection.state,
    decision: now?.record.decision ?? 'review',
    reasons: now?.record.reasons ?? [],
  };
}

/**
 * Who is acting, for the rule's meta: the caller's ARN; in plgate local, where every
 * provider key is the same account, the access key id says more.
 */
async function callerOf(target: GateTarget): Promise<string> {
  if (target.local) {
    const credentials = await target.clients.ec2.config.credentials();
    return `local:${credentials.accessKeyId}`;
  }
  const sts = new STSClient({
    region: target.clients.ec2.config.region,
    credentials: target.clients.ec2.config.credentials,
  });
  try {
    const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
    return Arn ?? 'unknown';
  } catch {
    return 'unknown';
  } finally {
    sts.destroy();
  }
}
