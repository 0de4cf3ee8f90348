/**
 * The console with a busy gate: how long its pages take with 500 waiting requests and 5,000
 * ledger entries (100 and 1,000 with --quick). The requests come through the local cloud
 * and the gate, as consumers would make them (the gate holds each for review); the ledger
 * entries are written straight into the table, spread over the last 24 hours. Measured:
 * the API's answers (the server's work: EC2 reads, judging and explaining every request,
 * ledger pages and the chart's counts) and the page in Chromium, from navigation to every
 * row drawn, and a filter applied on the page.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { startConsole } from '../console/server/server.ts';
import { createClients } from '../functions/aws/clients.ts';
import { DynamoLedger } from '../functions/aws/ledger.ts';
import type { LedgerEntry, Outcome } from '../functions/gate/ports.ts';
import { launchChromium } from '../test/support/browser.ts';
import { machine, median, quick, recordResults } from './harness.ts';
import { BENCH_KEY, startBenchWorld } from './local-world.ts';

const REQUESTS = quick ? 100 : 500;
const ENTRIES = quick ? 1_000 : 5_000;
const SERVICES = 5;
const ACCOUNTS = 100;
const OUTCOMES: Outcome[] = ['accepted', 'held', 'rejected', 'expired', 'accepted', 'accepted'];

const account = (i: number) => String(100_000_000_000 + i * 7_919).padStart(12, '0');

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await run();
  return [value, performance.now() - start];
}

async function medianOf(times: number, run: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) samples.push((await timed(run))[1]);
  return median(samples);
}

const world = await startBenchWorld();
const clients = createClients({
  endpoint: world.cloud.endpoint,
  region: world.cloud.region,
  credentials: { accessKeyId: BENCH_KEY, secretAccessKey: 'local' },
});
try {
  await world.writeRules([
    {
      kind: 'defaults',
      id: 'defaults',
      defaultEffect: 'review',
      pendingTtl: 'P7D',
      onRevoke: 'notify',
      mode: 'enforce',
    },
    {
      kind: 'rule',
      id: 'partners-eu',
      effect: 'accept',
      match: { accounts: [account(1), account(2)], regions: ['eu-west-1'] },
    },
    {
      kind: 'rule',
      id: 'prod-tagged',
      effect: 'accept',
      match: { accounts: [account(3)], tags: { env: 'prod' } },
    },
    { kind: 'rule', id: 'blocked', effect: 'reject', match: { accounts: ['666666666666'] } },
  ]);
  const services: string[] = [];
  for (let i = 0; i < SERVICES; i++) services.push(await world.createService());

  const made = performance.now();
  const limit = pLimit(16);
  await Promise.all(
    Array.from({ length: REQUESTS }, (_, i) =>
      limit(() => world.createEndpoint(account(i % ACCOUNTS), services[i % SERVICES] ?? '')),
    ),
  );
  await world.cloud.idle();
  console.log(`${REQUESTS} requests held by the gate in ${Math.round(performance.now() - made)} ms`);

  const ledger = new DynamoLedger(clients.dynamodb, world.gate.config.ledgerTable, { retentionDays: 30 });
  const now = Date.now();
  const items = Array.from({ length: ENTRIES }, (_, i) => {
    const entry: LedgerEntry = {
      at: new Date(now - Math.floor((i / ENTRIES) * 86_400_000) - 60_000).toISOString(),
      endpointId: `vpce-${(0x100000000 + i).toString(16).padStart(17, '0')}`,
      serviceId: services[i % SERVICES] ?? '',
      account: account(i % ACCOUNTS),
      trigger: 'sweep',
      decision: 'review',
      rule: null,
      matched: [],
      reasons: ['no rule decided: the defaults say review'],
      action: 'none',
      outcome: OUTCOMES[i % OUTCOMES.length] ?? 'held',
      dryRun: false,
      rulesVersion: 1,
      state: 'pendingAcceptance',
    };
    return ledger.entryItem(entry);
  });
  const writes = pLimit(8);
  await Promise.all(
    Array.from({ length: Math.ceil(items.length / 25) }, (_, b) =>
      writes(() =>
        clients.dynamodb.send(
          new BatchWriteCommand({
            RequestItems: {
              [world.gate.config.ledgerTable]: items
                .slice(b * 25, b * 25 + 25)
                .map((Item) => ({ PutRequest: { Item } })),
            },
          }),
        ),
      ),
    ),
  );

  const web = await startConsole({
    target: { config: world.gate.config, clients, local: true, close: () => {} },
    region: world.cloud.region,
    actor: 'bench',
  });
  const signIn = await fetch(web.url, { redirect: 'manual' });
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const base = `http://127.0.0.1:${web.port}`;
  const api = async (path: string) => {
    const response = await fetch(`${base}${path}`, { headers: { cookie } });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };

  const requestsCount = ((await api('/api/requests')).requests as unknown[]).length;
  const apiMs = {
    requests: await medianOf(5, () => api('/api/requests')),
    ledgerPage: await medianOf(10, () => api('/api/ledger?limit=50')),
    ledgerPageOfOneService: await medianOf(10, () => api(`/api/ledger?limit=50&service=${services[0]}`)),
    ledgerChart24h: await medianOf(5, () => api('/api/ledger/chart?hours=24')),
    rules: await medianOf(5, () => api('/api/rules')),
  };

  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(web.url);
  const pageMs: Record<string, number> = {};
  const requestSamples: number[] = [];
  for (let i = 0; i < 3; i++) {
    await page.goto(`${base}/#services`);
    await page.locator('#services tbody tr').first().waitFor();
    const [, ms] = await timed(async () => {
      await page.goto(`${base}/#requests`);
      await page
        .locator('#requests tbody tr[data-endpoint]')
        .nth(Math.min(REQUESTS, 100) - 1)
        .waitFor({ timeout: 60_000 });
    });
    requestSamples.push(ms);
  }
  pageMs.requestsPageFirst100Drawn = median(requestSamples);
  // Every row drawn (*More* until none is left), then a filter applied on the page, from what
  // it holds: no request to the server.
  const [, allMs] = await timed(async () => {
    for (let n = 200; n <= REQUESTS; n += 100) {
      await page.click('#requests-more');
      await page
        .locator('#requests tbody tr[data-endpoint]')
        .nth(n - 1)
        .waitFor();
    }
  });
  pageMs.requestsMoreRows = allMs / Math.max(1, REQUESTS / 100 - 1);
  pageMs.filterFirst100 = await page.evaluate<number>(`(() => {
    const input = document.querySelector('#filter-state');
    const start = performance.now();
    input.value = '';
    input.dispatchEvent(new Event('change'));
    void document.body.offsetHeight;
    return performance.now() - start;
  })()`);
  const ledgerSamples: number[] = [];
  for (let i = 0; i < 3; i++) {
    await page.goto(`${base}/#services`);
    await page.locator('#services tbody tr').first().waitFor();
    const [, ms] = await timed(async () => {
      await page.goto(`${base}/#ledger`);
      await page.locator('figure.chart').waitFor();
      await page.locator('#ledger tbody tr').nth(49).waitFor();
    });
    ledgerSamples.push(ms);
  }
  pageMs.ledgerPageFirst50AndChart = median(ledgerSamples);
  const [, olderMs] = await timed(async () => {
    for (let n = 2; n <= 5; n++) {
      await page.click('#ledger-more');
      await page
        .locator('#ledger tbody tr')
        .nth(n * 50 - 1)
        .waitFor();
    }
  });
  pageMs.ledgerOlderPage = olderMs / 4;
  await browser.close();
  await web.stop();

  const figures = { requests: requestsCount, ledgerEntries: ENTRIES, apiMs, pageMs };
  for (const [name, ms] of Object.entries({ ...apiMs, ...pageMs })) {
    console.log(`${name.padEnd(30)} ${ms.toFixed(0).padStart(6)} ms`);
  }
  console.log(machine());
  recordResults({ console: figures });
} finally {
  for (const client of Object.values(clients)) client.destroy();
  await world.stop();
}
