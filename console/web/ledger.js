/** Ledger: what the gate did, newest first, a page at a time; an endpoint's whole history; decisions over time. */
import { get } from './api.js';
import { onLedger } from './app.js';
import { decisionChart } from './chart.js';
import { h, replace } from './dom.js';
import { OUTCOMES, shortTime, TRIGGERS } from './format.js';

const PAGE = 50;
/** An endpoint's history is short: all of it on one page. */
const ENDPOINT_PAGE = 500;
const FIELDS = ['endpoint', 'service', 'account', 'outcome', 'trigger', 'hours'];
const SPANS = [
  ['24', 'last 24 hours'],
  ['168', 'last 7 days'],
  ['720', 'last 30 days'],
];

export async function ledgerPage(main, { params }) {
  const filters = Object.fromEntries(FIELDS.map((f) => [f, params.get(f) ?? '']));
  const seen = new Set();
  const body = h('tbody');
  const more = h('button', { type: 'button', id: 'ledger-more', hidden: true }, 'Older entries');
  const chart = h('div', { class: 'chart-box' });
  const problem = h('p', { class: 'error', role: 'alert', hidden: true });
  let next = null;

  const field = (name, label, input) =>
    h('div', { class: 'field' }, h('label', { for: `ledger-${name}` }, label), input);
  const text = (name, placeholder) =>
    h('input', {
      id: `ledger-${name}`,
      name,
      value: filters[name],
      placeholder,
      autocomplete: 'off',
      spellcheck: 'false',
    });
  const choice = (name, values) =>
    h(
      'select',
      { id: `ledger-${name}`, name },
      h('option', { value: '' }, 'any'),
      values.map((v) => h('option', { value: v, selected: filters[name] === v }, v)),
    );
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter the ledger' },
    field('endpoint', 'Endpoint', text('endpoint', 'vpce-…')),
    field('service', 'Service', text('service', 'vpce-svc-…')),
    field('account', 'Account', text('account', '123456789012')),
    field('outcome', 'Outcome', choice('outcome', OUTCOMES)),
    field('trigger', 'Trigger', choice('trigger', TRIGGERS)),
    field(
      'hours',
      'Chart',
      h(
        'select',
        { id: 'ledger-hours', name: 'hours' },
        SPANS.map(([value, label]) =>
          h('option', { value, selected: (filters.hours || '24') === value }, label),
        ),
      ),
    ),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Show')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const name of FIELDS) {
      const value = form.elements[name].value.trim();
      if (value) query.set(name, value);
    }
    location.hash = `ledger?${query}`;
  });
  more.addEventListener('click', () => page());

  function matches(entry) {
    return (
      (!filters.endpoint || entry.endpointId === filters.endpoint) &&
      (!filters.service || entry.serviceId === filters.service) &&
      (!filters.account || entry.account === filters.account) &&
      (!filters.outcome || entry.outcome === filters.outcome) &&
      (!filters.trigger || entry.trigger === filters.trigger)
    );
  }

  function row(entry, fresh) {
    seen.add(entry.key);
    return h(
      'tr',
      { class: fresh ? 'fresh' : null, 'data-key': entry.key, 'data-outcome': entry.outcome },
      h('td', {}, h('time', { datetime: entry.at }, shortTime(entry.at))),
      h(
        'th',
        { scope: 'row' },
        h(
          'a',
          { href: `#ledger?endpoint=${entry.endpointId}`, title: 'its whole history' },
          entry.endpointId,
        ),
      ),
      h('td', {}, entry.account, h('br'), h('span', { class: 'quiet' }, entry.serviceId)),
      h('td', {}, entry.trigger, entry.carriedBy ? ` (by ${entry.carriedBy})` : ''),
      h(
        'td',
        {},
        h(
          'span',
          { class: `outcome ${entry.outcome}` },
          entry.dryRun ? `would be ${entry.outcome}` : entry.outcome,
        ),
      ),
      h('td', {}, entry.rule ?? '—'),
      h('td', { class: 'actor' }, entry.actor ?? '—'),
      h('td', { class: 'reason' }, entry.reason ?? '—'),
      h(
        'td',
        { class: 'why' },
        entry.reasons.join('; '),
        entry.error ? h('div', { class: 'error' }, `${entry.error.code}: ${entry.error.message}`) : null,
      ),
      h('td', { class: 'request-id' }, entry.requestId ?? '—'),
    );
  }

  async function page() {
    more.disabled = true;
    const query = {
      endpoint: filters.endpoint,
      service: filters.service,
      account: filters.account,
      outcome: filters.outcome,
      trigger: filters.trigger,
      limit: String(filters.endpoint ? ENDPOINT_PAGE : PAGE),
      after: next ?? '',
    };
    const answer = await get('/api/ledger', query);
    body.append(...answer.entries.filter((e) => !seen.has(e.key)).map((e) => row(e, false)));
    next = answer.next;
    more.hidden = next === null;
    more.disabled = false;
    if (body.children.length === 0)
      body.append(h('tr', { class: 'none' }, h('td', { colspan: 10, class: 'empty' }, 'No ledger entries.')));
  }

  replace(
    main,
    h('h2', {}, filters.endpoint ? `History of ${filters.endpoint}` : 'Ledger'),
    form,
    problem,
    chart,
    h(
      'table',
      { class: 'grid', id: 'ledger' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [
            'At',
            'Endpoint',
            'Account / service',
            'Trigger',
            'Outcome',
            'Rule',
            'Actor',
            'Reason',
            'Reasons',
            'EC2 request',
          ].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      body,
    ),
    more,
  );
  try {
    const chartQuery = {
      endpoint: filters.endpoint,
      service: filters.service,
      account: filters.account,
      outcome: filters.outcome,
      trigger: filters.trigger,
      hours: filters.hours || '24',
    };
    const [counts] = await Promise.all([get('/api/ledger/chart', chartQuery), page()]);
    replace(chart, decisionChart(counts));
  } catch (error) {
    problem.hidden = false;
    replace(problem, error.message);
  }
  return onLedger((entries) => {
    const fresh = entries.filter((e) => matches(e) && !seen.has(e.key));
    if (fresh.length === 0) return;
    body.querySelector('tr.none')?.remove();
    body.prepend(...fresh.map((e) => row(e, true)));
  });
}
