/** How times and outcomes read on the page. */

export function shortTime(iso) {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function duration(ms) {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes % 60}m`;
  return `${minutes}m`;
}

export function timeLeft(expiresAt, now = Date.now()) {
  if (!expiresAt) return '—';
  const left = Date.parse(expiresAt) - now;
  return left <= 0 ? 'expiring now' : duration(left);
}

export function tagsText(tags) {
  return Object.entries(tags ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}

export function ruleText(row) {
  if (row.rule) return row.rule;
  if (row.operator) return row.operator === 'approve' ? '(approved)' : '(denied)';
  return row.default ? '(default)' : '—';
}

export function nearMissText(miss) {
  const stopped =
    miss.failed.length > 0
      ? `failed: ${miss.failed.join(', ')}`
      : `undetermined: ${miss.undetermined.join(', ') || 'its data'}`;
  return `${miss.id} (${miss.effect}): ${miss.held} of ${miss.of} held, ${stopped}`;
}

export const OUTCOMES = [
  'accepted',
  'rejected',
  'held',
  'expired',
  'revoked',
  'drift',
  'failed',
  'deleted',
  'registered',
];
export const TRIGGERS = ['notification', 'sweep', 'rule-change', 'manual', 'cloudtrail', 'register'];
