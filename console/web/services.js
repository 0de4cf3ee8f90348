/** Services: each managed service's mode and settings, and its connections by state; in a fleet's hub, the member it is in. */
import { get } from './api.js';
import { h, replace } from './dom.js';

const STATES = [
  'pendingAcceptance',
  'pending',
  'available',
  'rejected',
  'expired',
  'failed',
  'deleting',
  'deleted',
  'partial',
];

export async function servicesPage(main, { session }) {
  const { services } = await get('/api/services');
  const member = (s) =>
    session.fleet
      ? h('td', {}, s.serviceAccount ?? '?', h('br'), h('span', { class: 'quiet' }, s.serviceRegion ?? '?'))
      : null;
  replace(
    main,
    h('h2', {}, 'Services'),
    h('p', { class: 'intro' }, 'Endpoint services tagged privatelink-gate:managed=true.'),
    h(
      'table',
      { class: 'grid', id: 'services' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [
            'Service',
            ...(session.fleet ? ['Member'] : []),
            'Mode',
            'Default',
            'Review TTL',
            'On revoke',
            ...STATES,
          ].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        {},
        services.length === 0
          ? h(
              'tr',
              {},
              h(
                'td',
                { colspan: (session.fleet ? 6 : 5) + STATES.length, class: 'empty' },
                'No managed services.',
              ),
            )
          : services.map((s) =>
              h(
                'tr',
                {},
                h(
                  'th',
                  { scope: 'row' },
                  h('a', { href: `#requests?service=${s.serviceId}&state=` }, s.serviceId),
                ),
                member(s),
                h(
                  'td',
                  {},
                  h('span', { class: `mode ${s.mode}` }, s.held ? `held by invalid item ${s.held}` : s.mode),
                ),
                h('td', {}, s.defaultEffect),
                h('td', {}, s.pendingTtl),
                h('td', {}, s.onRevoke),
                STATES.map((state) => h('td', { class: 'number' }, String(s.connections[state] ?? 0))),
              ),
            ),
      ),
    ),
  );
}
