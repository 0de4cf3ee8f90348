/** Rules: the rules in force and their problems, and a what-if for any connection. */
import { get, post } from './api.js';
import { h, replace } from './dom.js';
import { nearMissText } from './format.js';

const EXAMPLE = {
  ServiceId: 'vpce-svc-0123456789abcdef0',
  VpcEndpointId: 'vpce-0fedcba9876543210',
  VpcEndpointOwner: '111111111111',
  VpcEndpointState: 'pendingAcceptance',
  CreationTimestamp: '2026-01-01T00:00:00Z',
  Tags: [{ Key: 'env', Value: 'prod' }],
};

export async function rulesPage(main) {
  const [rules, { requests }] = await Promise.all([get('/api/rules'), get('/api/requests')]);
  const output = h('div', { id: 'what-if-result', role: 'status', 'aria-live': 'polite' });
  const pick = h(
    'select',
    { id: 'what-if-endpoint', name: 'endpoint' },
    h('option', { value: '' }, 'paste a connection below instead'),
    requests.map((r) => h('option', { value: r.endpointId }, `${r.endpointId} (${r.account}, ${r.state})`)),
  );
  const pasted = h('textarea', {
    id: 'what-if-connection',
    name: 'connection',
    rows: 9,
    spellcheck: 'false',
  });
  pasted.value = JSON.stringify(EXAMPLE, null, 2);
  const form = h(
    'form',
    { class: 'what-if', 'aria-label': 'What if' },
    h('div', { class: 'field' }, h('label', { for: 'what-if-endpoint' }, 'A connection the gate sees'), pick),
    h(
      'div',
      { class: 'field wide' },
      h(
        'label',
        { for: 'what-if-connection' },
        'Or a connection (EC2 JSON: one, a list, or describe-vpc-endpoint-connections output)',
      ),
      pasted,
    ),
    h('button', { type: 'submit' }, 'What would the rules do?'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(output, 'Judging…');
    try {
      let body;
      if (pick.value) body = { endpointId: pick.value };
      else {
        try {
          body = { connection: JSON.parse(pasted.value) };
        } catch (error) {
          replace(output, h('p', { class: 'error' }, `Not JSON: ${error.message}`));
          return;
        }
      }
      const answer = await post('/api/what-if', body);
      replace(
        output,
        answer.problems.length > 0
          ? h(
              'ul',
              { class: 'problems' },
              answer.problems.map((p) => h('li', {}, p)),
            )
          : answer.results.map(result),
      );
    } catch (error) {
      replace(output, h('p', { class: 'error' }, error.message));
    }
  });

  replace(
    main,
    h('h2', {}, 'Rules'),
    h('p', { class: 'intro' }, `Rules version ${rules.version}, from ${rules.rules.length} valid rules.`),
    h('h3', {}, 'Problems'),
    rules.problems.length === 0 && rules.warnings.length === 0
      ? h('p', { id: 'rule-problems' }, 'None: every item in the rules table is valid.')
      : h(
          'ul',
          { id: 'rule-problems', class: 'problems' },
          rules.problems.map((p) => h('li', {}, p.text)),
          rules.warnings.map((w) => h('li', { class: 'warning' }, `warning: ${w.message}`)),
        ),
    h('h3', {}, 'What if'),
    form,
    output,
    h('h3', {}, 'Rules in force'),
    h(
      'table',
      { class: 'grid', id: 'rules' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Rule', 'Effect', 'Enabled', 'Services', 'Match', 'Limits', 'Valid', 'Description'].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        rules.rules.map((r) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, r.id),
            h('td', {}, h('span', { class: `decision ${r.effect}` }, r.effect)),
            h('td', {}, r.enabled === false ? 'no' : 'yes'),
            h('td', {}, (r.services ?? ['every managed service']).join(', ')),
            h('td', { class: 'match' }, matchText(r.match)),
            h('td', {}, r.limits ? JSON.stringify(r.limits) : '—'),
            h(
              'td',
              {},
              [r.validFrom ? `from ${r.validFrom}` : '', r.validUntil ? ` until ${r.validUntil}` : ''].join(
                '',
              ) || 'always',
            ),
            h('td', {}, r.description ?? ''),
          ),
        ),
      ),
    ),
    h('h3', {}, 'Approvals and denials'),
    rules.approvals.length === 0
      ? h('p', {}, 'None.')
      : h(
          'ul',
          { id: 'approvals' },
          rules.approvals.map((a) =>
            h(
              'li',
              {},
              `${a.verdict} ${a.endpointId} by ${a.actor} at ${a.at}${a.reason ? `: ${a.reason}` : ''}`,
            ),
          ),
        ),
  );
}

function matchText(match) {
  const parts = Object.entries(match ?? {}).map(
    ([key, value]) =>
      `${key}: ${Array.isArray(value) ? value.join(', ') : typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
  );
  return parts.length === 0 ? 'every connection' : parts.join('; ');
}

function result(r) {
  const record = r.record;
  const by = record.rule ? ` by rule ${record.rule}` : record.default ? ' (default)' : '';
  const shown = r.rules.filter(
    (v) => v.verdict === 'match' || v.verdict === 'invalid' || r.nearMisses.some((m) => m.id === v.id),
  );
  return h(
    'article',
    { class: 'verdict' },
    h(
      'h4',
      {},
      `${r.connection.endpointId} (account ${r.connection.account}, ${r.connection.state}) on ${r.connection.serviceId}: `,
      h('span', { class: `decision ${record.decision}` }, record.decision),
      by,
      r.mode === 'enforce' ? '' : ` [${r.mode}]`,
    ),
    h(
      'ul',
      {},
      record.reasons.map((reason) => h('li', {}, reason)),
    ),
    r.nearMisses.length > 0 ? h('p', {}, 'Near misses: ', r.nearMisses.map(nearMissText).join('; ')) : null,
    shown.length > 0
      ? h(
          'table',
          { class: 'grid' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Rule', 'Effect', 'Verdict', 'Conditions'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            {},
            shown.map((v) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, v.id),
                h('td', {}, v.effect),
                h('td', {}, v.verdict),
                h(
                  'td',
                  {},
                  v.conditions
                    .map(
                      (c) =>
                        `${c.condition} ${c.holds === true ? 'holds' : c.holds === false ? 'does not hold' : 'undetermined'} (${c.detail})`,
                    )
                    .join(', ') ||
                    v.inactive ||
                    '',
                ),
              ),
            ),
          ),
        )
      : h('p', {}, 'No rule matched or nearly matched.'),
  );
}
