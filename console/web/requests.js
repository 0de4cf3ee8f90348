/**
 * Requests: every connection of the managed services with the decision today's rules give
 * it, the deciding rule, the near misses and the time left; Approve and Deny with a reason.
 * In a fleet's hub, every member's, each with the member its service is in (the service's
 * account and region, as `plgate connections --service-account/--service-region` match them).
 */
import { get, post } from './api.js';
import { onLedger } from './app.js';
import { confirmAction } from './confirm.js';
import { h, replace } from './dom.js';
import { nearMissText, ruleText, tagsText, timeLeft } from './format.js';

const STATES = [
  'pendingAcceptance',
  'pending',
  'available',
  'rejected',
  'expired',
  'failed',
  'deleting',
  'partial',
];
const DECISIONS = ['accept', 'reject', 'review'];
/** Rows drawn at once: the page stays quick with hundreds waiting; the filters see them all. */
const ROWS_AT_ONCE = 100;

export async function requestsPage(main, { session, params }) {
  const filters = {
    service: params.get('service') ?? '',
    account: params.get('account') ?? '',
    region: params.get('region') ?? '',
    state: params.get('state') ?? 'pendingAcceptance',
    decision: params.get('decision') ?? '',
    serviceAccount: params.get('serviceAccount') ?? '',
    serviceRegion: params.get('serviceRegion') ?? '',
  };
  let rows = [];
  let drawn = ROWS_AT_ONCE;
  const result = h('div', { id: 'action-result', role: 'status', 'aria-live': 'polite' });
  const count = h('p', { class: 'count', id: 'request-count' });
  const unlisted = h('div', { id: 'unlisted-members' });
  const body = h('tbody');
  const more = h('button', { type: 'button', id: 'requests-more', hidden: true }, 'More');
  let list = [];
  // More adds rows under those drawn; only a change of filter or data draws them all again.
  more.addEventListener('click', () => {
    const now = Date.now();
    body.append(...list.slice(drawn, drawn + ROWS_AT_ONCE).map((r) => row(r, now)));
    drawn += ROWS_AT_ONCE;
    showMore();
  });

  function showMore() {
    const left = list.length - drawn;
    more.hidden = left <= 0;
    replace(more, `Show ${Math.min(left, ROWS_AT_ONCE)} more (${left} not shown)`);
  }
  const controls = h('form', { class: 'filters', 'aria-label': 'Filter requests', role: 'search' });
  controls.addEventListener('submit', (event) => event.preventDefault());

  function select(name, label, values, all) {
    const id = `filter-${name}`;
    const element = h(
      'select',
      {
        id,
        name,
        on: {
          change: () => {
            filters[name] = element.value;
            drawn = ROWS_AT_ONCE;
            render();
          },
        },
      },
      h('option', { value: '' }, all),
      // A value the link asked for is offered even when no row has it (yet).
      (filters[name] === '' || values.includes(filters[name]) ? values : [...values, filters[name]]).map(
        (value) => h('option', { value, selected: filters[name] === value }, value),
      ),
    );
    return h('div', { class: 'field' }, h('label', { for: id }, label), element);
  }

  function renderControls() {
    const account = h('input', {
      id: 'filter-account',
      name: 'account',
      value: filters.account,
      placeholder: '123456789012',
      autocomplete: 'off',
      on: {
        input: () => {
          filters.account = account.value.trim();
          drawn = ROWS_AT_ONCE;
          render();
        },
      },
    });
    replace(
      controls,
      session.fleet
        ? [
            select(
              'serviceAccount',
              'Member account',
              unique(rows.flatMap((r) => r.serviceAccount ?? [])),
              'every member',
            ),
            select(
              'serviceRegion',
              'Member region',
              unique(rows.flatMap((r) => r.serviceRegion ?? [])),
              'every region',
            ),
          ]
        : null,
      select('service', 'Service', unique(rows.map((r) => r.serviceId)), 'every service'),
      h('div', { class: 'field' }, h('label', { for: 'filter-account' }, 'Account'), account),
      select('region', 'Region', unique(rows.map((r) => r.region ?? '(same region)')), 'every region'),
      select('state', 'State', STATES, 'every state'),
      select('decision', 'Decision today', DECISIONS, 'every decision'),
    );
  }

  function shown() {
    return rows.filter(
      (r) =>
        (!filters.serviceAccount || r.serviceAccount === filters.serviceAccount) &&
        (!filters.serviceRegion || r.serviceRegion === filters.serviceRegion) &&
        (!filters.service || r.serviceId === filters.service) &&
        (!filters.account || r.account.includes(filters.account)) &&
        (!filters.region || (r.region ?? '(same region)') === filters.region) &&
        (!filters.state || r.state === filters.state) &&
        (!filters.decision || r.decision === filters.decision),
    );
  }

  function render() {
    list = shown();
    replace(count, `${list.length} of ${rows.length} connections`);
    const now = Date.now();
    showMore();
    replace(
      body,
      list.length === 0
        ? h('tr', {}, h('td', { colspan: session.readOnly ? 8 : 9, class: 'empty' }, 'Nothing here.'))
        : list.slice(0, drawn).map((r) => row(r, now)),
    );
  }

  function row(r, now) {
    return h(
      'tr',
      { 'data-endpoint': r.endpointId },
      h(
        'th',
        { scope: 'row' },
        h('a', { href: `#ledger?endpoint=${r.endpointId}`, title: 'its history' }, r.endpointId),
      ),
      h(
        'td',
        {},
        r.serviceId,
        r.mode === 'enforce' ? '' : h('span', { class: 'mode' }, ` (${r.mode})`),
        session.fleet
          ? [
              h('br'),
              h('span', { class: 'quiet member' }, `${r.serviceAccount ?? '?'} ${r.serviceRegion ?? '?'}`),
            ]
          : null,
      ),
      h('td', {}, r.account, h('br'), h('span', { class: 'quiet' }, r.region ?? '')),
      h('td', { class: 'tags' }, tagsText(r.tags)),
      h('td', {}, r.state),
      h(
        'td',
        {},
        h('span', { class: `decision ${r.decision}` }, r.decision),
        ' ',
        h('span', { class: 'rule' }, ruleText(r)),
      ),
      h(
        'td',
        { class: 'why' },
        r.reasons[0] ?? '',
        r.nearMisses.length > 0
          ? h(
              'ul',
              { class: 'near', 'aria-label': 'near misses' },
              r.nearMisses.map((m) => h('li', {}, `nearly ${nearMissText(m)}`)),
            )
          : null,
      ),
      h('td', { class: 'left' }, timeLeft(r.expiresAt, now)),
      session.readOnly ? null : h('td', { class: 'actions' }, actionButtons(r)),
    );
  }

  function actionButtons(r) {
    const button = (action, label) =>
      h(
        'button',
        {
          type: 'button',
          class: action,
          'aria-label': `${label} ${r.endpointId}`,
          on: { click: () => act(action, r) },
        },
        label,
      );
    return [
      r.state === 'pendingAcceptance' ? button('approve', 'Approve') : null,
      ['pendingAcceptance', 'pending', 'available'].includes(r.state) ? button('deny', 'Deny') : null,
    ];
  }

  async function act(action, r) {
    const reason = await confirmAction(
      `${action === 'approve' ? 'Approve' : 'Deny'} ${r.endpointId}?`,
      `Account ${r.account} on ${r.serviceId}${session.fleet ? ` (member ${r.serviceAccount ?? '?'} ${r.serviceRegion ?? '?'})` : ''}; today's rules say ${r.decision} (${ruleText(r)}).`,
    );
    if (reason === null) return;
    replace(result, `${action === 'approve' ? 'Approving' : 'Denying'} ${r.endpointId}…`);
    result.className = 'pending';
    try {
      const outcome = await post('/api/decide', {
        action,
        endpointId: r.endpointId,
        serviceId: r.serviceId,
        reason,
      });
      result.className = outcome.status;
      replace(
        result,
        h(
          'strong',
          {},
          outcome.status === 'refused'
            ? 'Refused: '
            : outcome.status === 'unfinished'
              ? 'Not finished: '
              : 'Done: ',
        ),
        outcome.message,
      );
    } catch (error) {
      result.className = 'refused';
      replace(result, h('strong', {}, 'Failed: '), error.message);
    }
    await load();
  }

  async function load() {
    const answer = await get('/api/requests');
    rows = answer.requests;
    replace(
      unlisted,
      answer.unlisted.length === 0
        ? null
        : h(
            'p',
            { class: 'error', role: 'status' },
            `Not shown: the requests of ${answer.unlisted.length} fleet member${answer.unlisted.length === 1 ? '' : 's'} that could not be read (`,
            h('a', { href: '#fleet' }, 'see Fleet'),
            '): ',
            answer.unlisted.map((m) => `${m.account} ${m.region}: ${m.reason}`).join('; '),
          ),
    );
    renderControls();
    render();
  }

  replace(
    main,
    h('h2', {}, 'Requests'),
    h('p', { class: 'intro' }, "Each connection with the decision today's rules give it, and why."),
    controls,
    result,
    unlisted,
    count,
    h(
      'table',
      { class: 'grid', id: 'requests' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Endpoint', 'Service', 'Account', 'Tags', 'State', 'Decision today', 'Why', 'Time left'].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
          session.readOnly ? null : h('th', { scope: 'col' }, 'Action'),
        ),
      ),
      body,
    ),
    more,
  );
  await load();
  // A decision anywhere may change what waits: read again, at most once at a time.
  let reading = false;
  let again = false;
  const reread = async () => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      await load();
    } finally {
      reading = false;
    }
    if (again) {
      again = false;
      await reread();
    }
  };
  return onLedger(() => void reread());
}

function unique(values) {
  return [...new Set(values)].sort();
}
