import { PROVIDER_CREDENTIALS } from './provider-credentials.ts';
/**
 * What `plgate local` starts after the cloud: the gate's stack deployed, the rule files loaded
 * into its table, a first sweep (which enrolls managed services), and the demo if asked.
 */

import { startLocalConsole } from '../console/server/local.ts';
import { createClients } from '../functions/aws/clients.ts';
import { DynamoRulesStore } from '../functions/aws/rules-store.ts';
import { loadRuleFiles, problemLines } from '../functions/core/rules/load-rule-files.ts';
import { openAcceptWarnings } from '../functions/core/rules/open-accepts.ts';
import { ruleSetToItems } from '../functions/core/rules/rule-items.ts';
import type { GateConfig } from '../functions/shared/config.ts';
import type { LocalCloud } from './cloud.ts';
import { showDecisions } from './decision-feed.ts';
import { runDemo } from './demo.ts';
import { deployGate } from './gate.ts';
import { LocalRunError, type StartGate } from './run.ts';

export const startGate: StartGate = async (cloud, options) => {
  const gate = await deployGate(cloud, {
    ...(options.assemblyDir === undefined ? {} : { assemblyDir: options.assemblyDir }),
    ...(options.fleet === undefined ? {} : { fleet: options.fleet }),
    log: options.print,
  });
  for (const { stack, plan } of gate.deployed) {
    options.print(
      `deployed stack ${stack.name} (${stack.account}, ${stack.region}): ${plan.supported.length} resources${
        options.assemblyDir === undefined
          ? ', functions from source'
          : `, functions from ${options.assemblyDir}`
      }`,
    );
    if (plan.noEffect.length > 0) {
      const byType = new Map<string, number>();
      for (const { type } of plan.noEffect) byType.set(type, (byType.get(type) ?? 0) + 1);
      options.print(
        `  accepted without effect here: ${[...byType].map(([type, count]) => `${count} ${type}`).join(', ')}`,
      );
    }
  }
  // From the start: the first sweep may decide requests that waited while it was stopped (--data).
  const stopShowing = showDecisions(cloud, gate.config.decisionsTopicArn, options.print);
  try {
    if (options.rulesDir) {
      const count = await loadRules(cloud, gate.config, options.rulesDir, options.print);
      options.print(`loaded ${count} rule items from ${options.rulesDir} into ${gate.config.rulesTable}`);
    }
    options.print(
      `gate running: ingest topic ${gate.config.ingestTopicArn}, bus ${gate.config.gateBusName}, sweep every ${options.sweepIntervalMs} ms`,
    );
    options.print(`register URL (plgate invite / plgate register --api): ${gate.registerUrl}`);
    await gate.sweepNow();
  } catch (error) {
    stopShowing();
    throw error;
  }
  const operatorConsole = await startLocalConsole({
    endpoint: cloud.endpoint,
    region: cloud.region,
    config: gate.config,
    ...(gate.fleet === undefined ? {} : { fleet: gate.fleet }),
    log: options.log,
  }).catch((error: unknown) => {
    stopShowing();
    throw error;
  });
  options.print(`console (requests, ledger, rules; approve and deny): ${operatorConsole.url}`);
  // The demo starts on the next turn, once `plgate local` has said where it listens.
  const done = options.demo
    ? new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => runDemo(cloud, gate, options))
        .then(() => {
          if (!options.once)
            options.print(`Approve or deny what waits in the console: ${operatorConsole.url}`);
        })
    : undefined;
  return {
    stop: async () => {
      await operatorConsole.stop();
      stopShowing();
    },
    ...(done ? { done } : {}),
  };
};

/** Validates the rule files and writes them to the rules table; any problem stops the start, an open accept rule is warned of. */
export async function loadRules(
  cloud: LocalCloud,
  config: GateConfig,
  rulesDir: string,
  warn: (line: string) => void = () => {},
): Promise<number> {
  const loaded = await loadRuleFiles([rulesDir]);
  if (loaded.problemCount > 0) {
    throw new LocalRunError(`rules in ${rulesDir} are invalid:\n${problemLines(loaded).join('\n')}`);
  }
  for (const warning of openAcceptWarnings(loaded.ruleSet)) warn(`warning: ${warning.message}`);
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
