/**
 * Fleet: each member account and region of the hub's fleet, as `plgate fleet` reports it (the
 * same rows, columns and words, from cli/fleet-status.ts), looked at afresh on each visit.
 */
import { get } from './api.js';
import { h, replace } from './dom.js';

/** Columns read as numbers. */
const NUMBERS = new Set(['services', 'waiting', 'throttled']);

export async function fleetPage(main) {
  const { fleet, columns, members } = await get('/api/fleet');
  if (!fleet) {
    replace(
      main,
      h('h2', {}, 'Fleet'),
      h('p', {}, 'This gate has no fleet: it manages its own account and region.'),
    );
    return;
  }
  const unhealthy = members.filter((m) => !m.healthy).length;
  replace(
    main,
    h('h2', {}, 'Fleet'),
    h(
      'p',
      { class: 'intro' },
      "Each member account and region, as plgate fleet reports it: the spoke role assumed with the hub's external id and your credentials, a DryRun accept, what waits, and what the hub's functions recorded.",
    ),
    h(
      'p',
      { class: 'count', id: 'fleet-count' },
      `${members.length - unhealthy} of ${members.length} members healthy`,
    ),
    h(
      'table',
      { class: 'grid', id: 'fleet' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { scope: 'col' }, capitalised(c))),
        ),
      ),
      h(
        'tbody',
        {},
        members.length === 0
          ? h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, 'No members listed.'))
          : members.map((m) =>
              h(
                'tr',
                { 'data-member': `${m.account}:${m.region}`, class: m.healthy ? 'healthy' : 'unhealthy' },
                columns.map((column, index) => cell(column, index, m)),
              ),
            ),
      ),
    ),
  );
}

function cell(column, index, member) {
  const text = member.cells[column] ?? '';
  if (index === 0) return h('th', { scope: 'row' }, text);
  if (column === 'waiting' && text !== '0') {
    const query = new URLSearchParams({
      serviceAccount: member.account,
      serviceRegion: member.region,
    }).toString();
    return h(
      'td',
      { class: 'number' },
      h('a', { href: `#requests?${query}`, title: 'its waiting requests' }, text),
    );
  }
  if (column === 'health')
    return h('td', { class: `health ${member.healthy ? 'accepted' : 'rejected'}` }, text);
  return h('td', NUMBERS.has(column) ? { class: 'number' } : {}, text);
}

function capitalised(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
