/**
 * The console in a real browser (Debian's Chromium through playwright-core) against a local
 * gate: one gate, one console, one browser for the file. Approve and deny by clicking, the
 * ledger updating on an open page without a reload, a refusal with its reason, filters, the
 * what-if, markup in a consumer's tag shown as text, the token required, and axe-core.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberRow } from '../../console/server/fleet-view.ts';
import type { FleetView } from '../../console/server/gate-view.ts';
import { startLocalConsole } from '../../console/server/local.ts';
import { type ConsoleOptions, type RunningConsole, startConsole } from '../../console/server/server.ts';
import { createClients } from '../../functions/aws/clients.ts';
import { PROVIDER_CREDENTIALS } from '../../local/provider-credentials.ts';
import { BLOCKED, HELD, STRANGER } from '../support/accounts.ts';
import { launchChromium } from '../support/browser.ts';
import {
  createEndpoint,
  createService,
  ENFORCING_DEFAULTS,
  type LocalGateWorld,
  outcomesOf,
  settle,
  startLocalGate,
  stateOf,
} from '../support/local-gate.ts';

/** Who the local cloud's STS says the provider's key is. */
const ACTOR = 'arn:aws:iam::000000000000:root';
const MARKUP = '<img src=x onerror="window.__pwned=1"><b>ops</b>';
const REASON = 'contract <b>signed</b> & filed';
/** Generous: a wait for an event, never a measure of time. */
const WAIT = { timeout: 15_000 };

let world: LocalGateWorld;
let web: RunningConsole;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;
let serviceId: string;
let trialService: string;
const ids = { approve: '', deny: '', trial: '', tagged: '' };
const problems: string[] = [];

const row = (p: Page, endpointId: string) => p.locator(`#requests tr[data-endpoint="${endpointId}"]`);

async function act(action: 'Approve' | 'Deny', endpointId: string, reason: string): Promise<void> {
  await page.click(`button[aria-label="${action} ${endpointId}"]`);
  await page.fill('#confirm-reason', reason);
  await page.click('#confirm-ok');
}

/** A second console over the test's gate, with the provider's own clients (closed when it stops). */
async function anotherConsole(options: Omit<ConsoleOptions, 'target'>): Promise<RunningConsole> {
  const clients = createClients({
    endpoint: world.cloud.endpoint,
    region: world.cloud.region,
    credentials: PROVIDER_CREDENTIALS,
  });
  const close = () => {
    for (const client of Object.values(clients)) client.destroy();
  };
  const running = await startConsole({
    ...options,
    target: { config: world.gate.config, clients, local: true, close },
  });
  return {
    ...running,
    stop: async () => {
      await running.stop();
      close();
    },
  };
}

beforeAll(async () => {
  world = await startLocalGate();
  await world.rules.putItems([
    ENFORCING_DEFAULTS,
    { kind: 'rule', id: 'hold-444', effect: 'review', match: { accounts: [HELD] } },
    { kind: 'rule', id: 'block-666', effect: 'reject', match: { accounts: [BLOCKED] } },
    {
      kind: 'rule',
      id: 'near-444-eu',
      effect: 'accept',
      match: { accounts: [HELD], regions: ['eu-west-1'] },
    },
  ]);
  serviceId = await createService(world.provider);
  trialService = await createService(world.provider);
  await world.rules.putItems([{ ...ENFORCING_DEFAULTS, kind: 'service', id: trialService, mode: 'dry-run' }]);
  await world.rules.bumpVersion();
  ids.approve = await createEndpoint(world, HELD, serviceId);
  ids.deny = await createEndpoint(world, HELD, serviceId);
  ids.trial = await createEndpoint(world, HELD, trialService);
  ids.tagged = await createEndpoint(world, STRANGER, serviceId, { team: MARKUP });
  await settle(world);
  [web, browser] = await Promise.all([
    startLocalConsole({
      endpoint: world.cloud.endpoint,
      region: world.cloud.region,
      config: world.gate.config,
    }),
    launchChromium(),
  ]);
  base = `http://127.0.0.1:${web.port}`;
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  watchProblems(page);
  await page.goto(web.url);
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await world?.stop();
});

/** axe-core's serious and critical violations on the page as it shows now. */
async function axeViolations(
  p: Page,
): Promise<{ id: string; impact: string; help: string; nodes: number }[]> {
  await p.evaluate(readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
  const violations = await p.evaluate(async () => {
    const run = Reflect.get(globalThis, 'axe') as {
      run(): Promise<{ violations: { id: string; impact: string; help: string; nodes: unknown[] }[] }>;
    };
    return (await run.run()).violations.map(({ id, impact, help, nodes }) => ({
      id,
      impact,
      help,
      nodes: nodes.length,
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Script errors and refused loads (a Content-Security-Policy violation is one) on the main page. */
function watchProblems(p: Page): void {
  p.on('pageerror', (error) => problems.push(`${p.url()}: ${error.message}`));
  p.on('console', (message) => {
    if (message.type() === 'error') problems.push(`${p.url()}: ${message.text()}`);
  });
}

describe('who may use it', () => {
  it('the token in the URL becomes an HttpOnly SameSite=Strict cookie, and leaves the address bar', async () => {
    expect(page.url()).toBe(`${base}/`);
    const [cookie] = await context.cookies(base);
    expect(cookie).toMatchObject({ name: `plgate-console-${web.port}`, httpOnly: true, sameSite: 'Strict' });
  });

  it('refuses a request without the token, from another Host, and a change without the CSRF header', async () => {
    for (const path of ['/', '/api/requests', '/api/ledger', '/static/app.js']) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(401);
    }
    const wrongToken = await fetch(`${base}/?token=not-the-token`, { redirect: 'manual' });
    expect(wrongToken.status).toBe(403);

    const [cookie] = await context.cookies(base);
    const session = `plgate-console-${web.port}=${cookie?.value}`;
    const rebound = await new Promise<number>((resolve, reject) => {
      httpRequest(
        {
          host: '127.0.0.1',
          port: web.port,
          path: '/api/requests',
          headers: { host: 'attacker.example', cookie: session },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      )
        .on('error', reject)
        .end();
    });
    expect(rebound).toBe(403);

    const forged = await fetch(`${base}/api/decide`, {
      method: 'POST',
      headers: { cookie: session, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'approve', endpointId: ids.approve, reason: 'forged' }),
    });
    expect(forged.status).toBe(403);
    expect(await stateOf(world, serviceId, ids.approve)).toBe('pendingAcceptance');
  });
});

describe('Requests', () => {
  it("shows each waiting request with today's decision, its rule, the near misses and the time left", async () => {
    const held = row(page, ids.approve);
    await held.waitFor(WAIT);
    const text = await held.innerText();
    expect(text).toContain('review');
    expect(text).toContain('hold-444');
    expect(text).toContain('nearly near-444-eu');
    expect(await held.locator('td.left').innerText()).toMatch(/^6d 23h|^7d 0h/);
    expect(await page.locator('#requests tbody tr').count()).toBe(4);
  });

  it("shows a consumer's tag holding markup as text", async () => {
    const tags = row(page, ids.tagged).locator('td.tags');
    expect(await tags.textContent()).toBe(`team=${MARKUP}`);
    expect(await page.locator('#requests img, #requests b').count()).toBe(0);
    expect(await page.evaluate(() => Reflect.get(globalThis, '__pwned'))).toBeUndefined();
  });

  it('filters by account, service and state', async () => {
    await page.fill('#filter-account', HELD);
    expect(await page.locator('#requests tbody tr').count()).toBe(3);
    await page.selectOption('#filter-service', trialService);
    expect(await page.locator('#requests tbody tr[data-endpoint]').count()).toBe(1);
    expect(await row(page, ids.trial).innerText()).toContain('(dry-run)');
    await page.selectOption('#filter-state', 'available');
    expect(await page.locator('#requests tbody tr[data-endpoint]').count()).toBe(0);
    expect(await page.locator('#request-count').innerText()).toBe('0 of 4 connections');
    await page.fill('#filter-account', '');
    await page.selectOption('#filter-service', '');
    await page.selectOption('#filter-state', 'pendingAcceptance');
    expect(await page.locator('#requests tbody tr[data-endpoint]').count()).toBe(4);
  });

  it('approves a held request by clicking: it is accepted, and an open ledger page shows it without a reload', async () => {
    const ledger = await context.newPage();
    await ledger.goto(`${base}/#ledger`);
    await ledger.locator('#ledger tbody tr').first().waitFor(WAIT);
    expect(await ledger.locator(`#ledger tr[data-outcome="accepted"]`).count()).toBe(0);

    await act('Approve', ids.approve, REASON);
    await page.locator('#action-result.done', { hasText: ids.approve }).waitFor(WAIT);
    expect(await page.locator('#action-result').innerText()).toContain(`approved by ${ACTOR}`);
    expect(['pending', 'available']).toContain(await stateOf(world, serviceId, ids.approve));

    const entry = ledger.locator('#ledger tr.fresh[data-outcome="accepted"]');
    await entry.waitFor(WAIT);
    expect(await entry.locator('th').innerText()).toBe(ids.approve);
    expect(await entry.locator('td.actor').innerText()).toBe(ACTOR);
    expect(await entry.locator('td.reason').textContent()).toBe(REASON);
    // The live feed on every page says so too.
    await ledger.locator(`#feed li[data-outcome="accepted"]`).waitFor(WAIT);
    // The request no longer waits.
    await row(page, ids.approve).waitFor({ state: 'detached', ...WAIT });
    const last = (await outcomesOf(world, ids.approve)).at(-1);
    expect(last).toMatchObject({ outcome: 'accepted', trigger: 'manual', actor: ACTOR, reason: REASON });
    await ledger.close();
  });

  it('denies a request by clicking', async () => {
    await act('Deny', ids.deny, 'not a customer');
    await page.locator('#action-result.done', { hasText: ids.deny }).waitFor(WAIT);
    expect(await stateOf(world, serviceId, ids.deny)).toBe('rejected');
    expect((await outcomesOf(world, ids.deny)).at(-1)).toMatchObject({
      outcome: 'rejected',
      actor: ACTOR,
      reason: 'not a customer',
    });
  });

  it('shows a refusal with its reason, as plgate approve refuses it', async () => {
    await act('Approve', ids.trial, 'try it');
    await page.locator('#action-result.refused', { hasText: trialService }).waitFor(WAIT);
    expect(await page.locator('#action-result').innerText()).toBe(
      `Refused: service ${trialService} is in dry-run mode: the gate takes no action on its connections, so approve wrote nothing`,
    );
    expect(await stateOf(world, trialService, ids.trial)).toBe('pendingAcceptance');
    expect((await outcomesOf(world, ids.trial)).some((e) => e.trigger === 'manual')).toBe(false);
  });
});

describe('Ledger', () => {
  it("filters by outcome, and shows an endpoint's whole history", async () => {
    await page.goto(`${base}/#ledger?outcome=rejected`);
    await page.locator('#ledger tbody tr[data-outcome]').first().waitFor(WAIT);
    const outcomes = await page
      .locator('#ledger tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-outcome')));
    expect(new Set(outcomes)).toEqual(new Set(['rejected']));

    await page.click(`#ledger a[href="#ledger?endpoint=${ids.deny}"]`);
    await page.locator('h2', { hasText: `History of ${ids.deny}` }).waitFor(WAIT);
    await page.locator('#ledger tbody tr[data-outcome="held"]').waitFor(WAIT);
    const history = await page
      .locator('#ledger tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-outcome')));
    expect(history).toEqual(['rejected', 'held']);
    expect(await page.locator('figure.chart figcaption').innerText()).toMatch(
      /^2 decisions in the last 24 h/,
    );
  });
});

describe('Rules', () => {
  it('what-if: a connection picked or pasted, the decision and why', async () => {
    await page.goto(`${base}/#rules`);
    await page.locator('#rules tbody tr').first().waitFor(WAIT);
    expect(await page.locator('#rule-problems').innerText()).toContain('None');

    await page.selectOption('#what-if-endpoint', ids.tagged);
    await page.click('form.what-if button[type="submit"]');
    await page.locator('.verdict').waitFor(WAIT);
    expect(await page.locator('.verdict h4').innerText()).toContain(`${ids.tagged} (account ${STRANGER}`);
    expect(await page.locator('.verdict h4').innerText()).toContain('review (default)');

    await page.selectOption('#what-if-endpoint', '');
    await page.fill(
      '#what-if-connection',
      JSON.stringify({
        ServiceId: serviceId,
        VpcEndpointId: 'vpce-0abcdef0123456789',
        VpcEndpointOwner: BLOCKED,
        VpcEndpointState: 'pendingAcceptance',
        CreationTimestamp: new Date().toISOString(),
      }),
    );
    await page.click('form.what-if button[type="submit"]');
    await page.locator('.verdict h4', { hasText: 'vpce-0abcdef0123456789' }).waitFor(WAIT);
    expect(await page.locator('.verdict h4').innerText()).toContain('reject by rule block-666');

    await page.fill('#what-if-connection', JSON.stringify({ ServiceId: serviceId, VpcEndpointOwner: '42' }));
    await page.click('form.what-if button[type="submit"]');
    await page.locator('#what-if-result ul.problems').waitFor(WAIT);
    expect(await page.locator('#what-if-result').innerText()).toContain(
      'VpcEndpointOwner: must be a 12-digit account id, got "42"',
    );
  });
});

describe('read-only', () => {
  it('offers no action and accepts none', async () => {
    const readOnly = await anotherConsole({ readOnly: true });
    const viewer = await context.newPage();
    try {
      await viewer.goto(readOnly.url);
      await row(viewer, ids.tagged).waitFor(WAIT);
      expect(await viewer.locator('#requests button').count()).toBe(0);
      expect(await viewer.locator('#actor').innerText()).toContain('read-only');
      // The page's own fetch, with its CSRF token: the server refuses it all the same.
      const status = await viewer.evaluate(`(async () => {
        const csrf = document.querySelector('meta[name="plgate-csrf"]').getAttribute('content');
        const response = await fetch('/api/decide', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-plgate-csrf': csrf },
          body: JSON.stringify({ action: 'deny', endpointId: '${ids.tagged}', reason: 'read-only' }),
        });
        return response.status;
      })()`);
      expect(status).toBe(403);
      expect(await stateOf(world, serviceId, ids.tagged)).toBe('pendingAcceptance');
    } finally {
      await viewer.close();
      await readOnly.stop();
    }
  });
});

describe('Fleet', () => {
  const HEALTHY = { account: '111111111111', region: 'us-east-1' };
  const UNHEALTHY = { account: '222222222222', region: 'eu-west-1' };
  /** plgate fleet's rows as the server is given them: the Fleet page over a fake FleetView (a local fleet is another branch's). */
  const fleet: FleetView = {
    members: async () =>
      [
        {
          ...HEALTHY,
          roleAssumable: true,
          acceptAllowed: true,
          managedServices: 2,
          waitingRequests: 3,
          lastSweepAt: '2026-12-07T09:55:00.000Z',
          healthy: true,
        },
        {
          ...UNHEALTHY,
          roleAssumable: false,
          problem: `cannot assume ${MARKUP}`,
          managedServices: 0,
          waitingRequests: 0,
          healthy: false,
        },
      ].map(memberRow),
  };

  it("shows each member's row as plgate fleet words it, healthy or not, markup as text; axe finds nothing serious", async () => {
    const hub = await anotherConsole({ fleet });
    const viewer = await context.newPage();
    watchProblems(viewer);
    try {
      await viewer.goto(hub.url);
      await viewer.locator('nav a[data-page="fleet"]:visible').click();
      await viewer.locator('#fleet tbody tr').first().waitFor(WAIT);

      expect(await viewer.locator('#fleet thead th').allInnerTexts()).toEqual([
        'Account',
        'Region',
        'Role',
        'Accept',
        'Services',
        'Waiting',
        'Last event',
        'Last sweep',
        'Throttled',
        'Health',
      ]);
      const healthy = viewer.locator(`#fleet tr.healthy[data-member="${HEALTHY.account}:${HEALTHY.region}"]`);
      expect(await healthy.locator('th, td').allInnerTexts()).toEqual([
        HEALTHY.account,
        HEALTHY.region,
        'assumable',
        'allowed',
        '2',
        '3',
        '-',
        '2026-12-07 09:55:00Z',
        '-',
        'healthy',
      ]);
      const unhealthy = viewer.locator(
        `#fleet tr.unhealthy[data-member="${UNHEALTHY.account}:${UNHEALTHY.region}"]`,
      );
      expect(await unhealthy.locator('td.health').textContent()).toBe(`UNHEALTHY: cannot assume ${MARKUP}`);
      expect(await viewer.locator('#fleet img, #fleet b').count()).toBe(0);
      expect(await viewer.evaluate(() => Reflect.get(globalThis, '__pwned'))).toBeUndefined();
      expect(await viewer.locator('#fleet-count').innerText()).toBe('1 of 2 members healthy');

      // A member's waiting requests are a click away: the Requests page filtered to that member.
      await healthy.locator('a', { hasText: '3' }).click();
      await viewer.locator('#filter-serviceAccount').waitFor(WAIT);
      expect(await viewer.locator('#filter-serviceAccount').inputValue()).toBe(HEALTHY.account);
      expect(await viewer.locator('#filter-serviceRegion').inputValue()).toBe(HEALTHY.region);

      await viewer.goto(`http://127.0.0.1:${hub.port}/#fleet`);
      await viewer.locator('#fleet tbody tr').first().waitFor(WAIT);
      expect(await axeViolations(viewer), 'fleet').toEqual([]);
      // The Services page of a hub has a Member column.
      await viewer.goto(`http://127.0.0.1:${hub.port}/#services`);
      await viewer.locator('#services tbody tr').first().waitFor(WAIT);
      expect(await viewer.locator('#services thead th').nth(1).innerText()).toBe('Member');
      expect(await axeViolations(viewer), 'services of a hub').toEqual([]);
    } finally {
      await viewer.close();
      await hub.stop();
    }
  });

  it('is not offered by a console without a fleet', async () => {
    await page.goto(`${base}/#requests`);
    await row(page, ids.tagged).waitFor(WAIT);
    expect(await page.locator('nav a[data-page="fleet"]').isHidden()).toBe(true);
    expect(await page.locator('#filter-serviceAccount').count()).toBe(0);
  });
});

describe('accessibility and safety', () => {
  it('axe-core finds no serious or critical violation on any page', async () => {
    for (const [hash, ready] of [
      ['requests', '#requests tbody tr'],
      ['ledger', '#ledger tbody tr'],
      ['services', '#services tbody tr'],
      ['rules', '#rules tbody tr'],
    ] as const) {
      await page.goto(`${base}/#${hash}`);
      await page.locator(ready).first().waitFor(WAIT);
      expect(await axeViolations(page), hash).toEqual([]);
    }
  });

  it('the main page had no script error or refused load (the Content-Security-Policy holds for the console itself)', () => {
    expect(problems).toEqual([]);
  });
});
