/**
 * The in-memory ledger and endpoint states the gate's unit tests run on, through the same
 * scenarios the DynamoDB stores pass against moto and dynalite: where a fake answers
 * differently from DynamoDB, a unit test could pass on behaviour the gate never sees.
 */
import { describe } from 'vitest';
import { ledgerScenarios } from '../../integration/moto/dynamo-scenarios.ts';
import { MemoryEndpointStates, MemoryLedger } from '../../support/gate-fakes.ts';

describe('in-memory ledger and endpoint states', () => {
  ledgerScenarios(() => {
    const ledger = new MemoryLedger();
    const endpointStates = new MemoryEndpointStates(ledger);
    return {
      ledger,
      endpointStates,
      steps: {
        completeIntent: endpointStates.completeIntent.bind(endpointStates),
        // biome-ignore lint/complexity/useLiteralKeys: private to the fake, as to the real store
        claimNotice: endpointStates['claimNotice'].bind(endpointStates),
        // biome-ignore lint/complexity/useLiteralKeys: as above
        markNoticeSent: endpointStates['markNoticeSent'].bind(endpointStates),
      },
    };
  });
});
