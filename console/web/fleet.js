/** Fleet: each member account and region of a fleet and its health, as `plgate fleet` reports it. */
import { get } from './api.js';
import { h, replace } from './dom.js';

export async function fleetPage(main) {
  const { fleet } = await get('/api/services');
  replace(
    main,
    h('h2', {}, 'Fleet'),
    fleet === null
      ? h('p', {}, 'This gate has no fleet: it manages its own account and region.')
      : h(
          'table',
          { class: 'grid', id: 'fleet' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Account', 'Region', 'Health', 'Detail'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            {},
            fleet.map((m) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, m.account),
                h('td', {}, m.region),
                h('td', {}, m.health),
                h('td', {}, m.detail),
              ),
            ),
          ),
        ),
  );
}
