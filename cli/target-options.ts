/**
 * The flags that name a gate's resources, added to a command. Apart from gate-target.ts, which
 * resolves them with the SDK's clients, so that registering a command loads no client.
 */
import type { Command } from 'commander';

export function withTargetOptions(command: Command): Command {
  return command
    .option('--stack <name>', 'read resource names from this CloudFormation stack’s outputs')
    .option('--rules-table <name>', 'the rules table (env RULES_TABLE)')
    .option('--ledger-table <name>', 'the ledger table (env LEDGER_TABLE)')
    .option('--decisions-topic <arn>', 'the decisions topic (env DECISIONS_TOPIC_ARN)')
    .option('--ingest-topic <arn>', 'the ingest topic (env INGEST_TOPIC_ARN)')
    .option('--bus <name>', "the gate's event bus (env GATE_BUS_NAME)");
}
