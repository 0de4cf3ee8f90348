/** The console's shell: who acts, the live feed from the ledger, and which page shows. */
import { get } from './api.js';
import { h, replace } from './dom.js';
import { fleetPage } from './fleet.js';
import { shortTime } from './format.js';
import { ledgerPage } from './ledger.js';
import { requestsPage } from './requests.js';
import { rulesPage } from './rules.js';
import { servicesPage } from './services.js';

const PAGES = {
  requests: requestsPage,
  ledger: ledgerPage,
  services: servicesPage,
  fleet: fleetPage,
  rules: rulesPage,
};
const FEED_LENGTH = 8;

/** Listeners of the ledger's new entries: the page on show subscribes while it shows. */
const ledgerListeners = new Set();
export function onLedger(listener) {
  ledgerListeners.add(listener);
  return () => ledgerListeners.delete(listener);
}

const main = document.getElementById('main');
let session;
let leave = () => {};

async function show() {
  const [name, query = ''] = location.hash.replace(/^#/, '').split('?');
  const page = PAGES[name] ? name : 'requests';
  for (const link of document.querySelectorAll('nav a')) {
    link.setAttribute('aria-current', link.dataset.page === page ? 'page' : 'false');
  }
  leave();
  leave = () => {};
  replace(main, h('p', { class: 'loading' }, 'Loading…'));
  try {
    leave = (await PAGES[page](main, { session, params: new URLSearchParams(query) })) ?? (() => {});
  } catch (error) {
    replace(main, h('p', { class: 'error', role: 'alert' }, `Could not load the page: ${error.message}`));
  }
}

function live() {
  const status = document.getElementById('live');
  const feed = document.getElementById('feed');
  const events = new EventSource('/api/events');
  events.addEventListener('open', () => {
    status.textContent = 'live';
    status.className = 'live on';
  });
  events.addEventListener('error', () => {
    status.textContent = 'reconnecting';
    status.className = 'live off';
  });
  events.addEventListener('ledger', (event) => {
    const entries = JSON.parse(event.data);
    for (const entry of [...entries].reverse()) {
      feed.prepend(
        h(
          'li',
          { 'data-outcome': entry.outcome },
          h('time', { datetime: entry.at }, shortTime(entry.at)),
          ' ',
          entry.endpointId,
          ' ',
          h(
            'span',
            { class: `outcome ${entry.outcome}` },
            entry.dryRun ? `would be ${entry.outcome}` : entry.outcome,
          ),
          entry.actor ? ` by ${entry.actor}` : '',
        ),
      );
    }
    while (feed.children.length > FEED_LENGTH) feed.lastElementChild.remove();
    for (const listener of ledgerListeners) listener(entries);
  });
}

async function start() {
  session = await get('/api/session');
  replace(
    document.getElementById('actor'),
    session.readOnly ? `read-only · ${session.actor}` : `acting as ${session.actor}`,
  );
  document.querySelector('nav a[data-page="fleet"]').hidden = !session.fleet;
  window.addEventListener('hashchange', show);
  live();
  await show();
}

start().catch((error) => {
  replace(main, h('p', { class: 'error', role: 'alert' }, `The console could not start: ${error.message}`));
});
