/** Decisions over time by outcome: stacked bars in SVG, built with the DOM, with a table for screen readers. */
import { h, svg } from './dom.js';
import { OUTCOMES } from './format.js';

const WIDTH = 720;
const HEIGHT = 160;

export function decisionChart(counts) {
  const totals = counts.buckets.map((b) => Object.values(b.counts).reduce((a, n) => a + n, 0));
  const most = Math.max(1, ...totals);
  const slot = WIDTH / counts.buckets.length;
  const all = totals.reduce((a, n) => a + n, 0);
  const hours = Math.round((counts.bucketMs * counts.buckets.length) / 3_600_000);
  const bars = counts.buckets.flatMap((bucket, i) => {
    let y = HEIGHT;
    return OUTCOMES.filter((o) => bucket.counts[o]).map((outcome) => {
      const height = (bucket.counts[outcome] / most) * (HEIGHT - 4);
      y -= height;
      return svg(
        'rect',
        {
          x: (i * slot + 1).toFixed(1),
          y: y.toFixed(1),
          width: (slot - 2).toFixed(1),
          height: height.toFixed(1),
          class: `bar ${outcome}`,
        },
        svg('title', {}, `${bucket.at.slice(0, 16).replace('T', ' ')}: ${bucket.counts[outcome]} ${outcome}`),
      );
    });
  });
  const used = OUTCOMES.filter((o) => counts.buckets.some((b) => b.counts[o]));
  return h(
    'figure',
    { class: 'chart' },
    svg(
      'svg',
      {
        viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
        role: 'img',
        'aria-label': `${all} decisions in the last ${hours} hours, by outcome`,
      },
      bars,
    ),
    h(
      'figcaption',
      {},
      `${all} decisions in the last ${hours <= 24 ? `${hours} h` : `${Math.round(hours / 24)} days`}${counts.truncated ? ' (the first 100,000 counted)' : ''}: `,
      used.map((o) =>
        h(
          'span',
          { class: `key ${o}` },
          `${o} ${counts.buckets.reduce((a, b) => a + (b.counts[o] ?? 0), 0)}`,
        ),
      ),
    ),
  );
}
