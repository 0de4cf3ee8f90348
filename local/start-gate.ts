/**
 * What `plgate local` starts after the cloud: the in-process gate, the rule files loaded
 * into its table, a first sweep (which enrolls managed services), and the demo if asked.
 */

import { loadRuleFiles, problemLines } from '../cli/policy-files.ts';
import { createClients } from '../functions/aws/clients.ts';
import { DynamoRulesStore } from '../functions/aws/rules-store.ts';
import { ruleSetToItems } from '../functions/core/rules/rule-set.ts';
import type { GateConfig } from '../functions/shared/config.ts';
import type { LocalCloud } from './cloud.ts';
import { runDemo } from './demo.ts';
import { PROVIDER_CREDENTIALS, startInProcessGate } from './in-process-gate.ts';
import { LocalRunError, type StartGate } from './run.ts';

export const startGate: StartGate = async (cloud, options) => {
  const gate = await startInProcessGate(cloud, {
    sweepIntervalMs: options.sweepIntervalMs,
    log: options.log,
  });
  try {
    if (options.rulesDir) {
      const count = await loadRules(cloud, gate.config, options.rulesDir);
      options.print(`loaded ${count} rule items from ${options.rulesDir} into ${gate.config.rulesTable}`);
    }
    options.print(
      `gate running: ingest topic ${gate.config.ingestTopicArn}, bus ${gate.config.gateBusName}, sweep every ${options.sweepIntervalMs} ms`,
    );
    options.print(`register URL (plgate invite / plgate register --api): ${gate.registerUrl}`);
    await gate.sweepNow();
  } catch (error) {
    gate.stop();
    throw error;
  }
  // The demo starts on the next turn, once `plgate local` has said where it listens.
  const done = options.demo
    ? new Promise<void>((resolve) => setImmediate(resolve)).then(() => runDemo(cloud, gate, options))
    : undefined;
  return {
    stop: async () => gate.stop(),
    ...(done ? { done } : {}),
  };
};

/** Validates the rule files and writes them to the rules table; any problem stops the start. */
export async function loadRules(cloud: LocalCloud, config: GateConfig, rulesDir: string): Promise<number> {
  const loaded = await loadRuleFiles([rulesDir]);
  if (loaded.problemCount > 0) {
    throw new LocalRunError(`rules in ${rulesDir} are invalid:\n${problemLines(loaded).join('\n')}`);
  }
  const clients = createClients({
    endpoint: cloud.endpoint,
    region: cloud.region,
    credentials: PROVIDER_CREDENTIALS,
  });
  try {
    const store = new DynamoRulesStore(clients.dynamodb, config.rulesTable);
    const items = ruleSetToItems(loaded.ruleSet);
    await store.putItems(items);
    await store.bumpVersion();
    return items.length;
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}
