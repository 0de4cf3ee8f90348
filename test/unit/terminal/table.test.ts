import { describe, expect, it } from 'vitest';
import { fitColumns, renderTable, wrapText } from '../../../terminal/table.ts';

describe('column widths', () => {
  const rows = [
    ['endpoint', 'why'],
    ['vpce-0123456789abcdef0', 'accepted by accept rule "partner-acme"'],
  ];

  it('are the content widths without a terminal width', () => {
    expect(fitColumns(rows, undefined, 2)).toEqual([22, 38]);
  });

  it('shrink the text column to fit, down to its longest word, never an id', () => {
    expect(fitColumns(rows, 50, 2)).toEqual([22, 26]);
    expect(fitColumns(rows, 10, 2)).toEqual([22, 14]);
  });
});

describe('wrapping', () => {
  it('breaks at spaces, and a word longer than a line only after a / or a :', () => {
    expect(wrapText('held for review by the default', 12)).toEqual(['held for', 'review by', 'the default']);
    const arn = 'arn:aws:sts::123456789012:assumed-role/Administrator/jane.doe@example.com';
    const lines = wrapText(`by ${arn}`, 40);
    expect(lines).toEqual([
      'by',
      'arn:aws:sts::123456789012:assumed-role/',
      'Administrator/jane.doe@example.com',
    ]);
    expect(lines.slice(1).join('')).toBe(arn);
  });

  it('keeps a word with no separator whole, on a line of its own', () => {
    expect(wrapText('id vpce-0123456789abcdef0 ok', 10)).toEqual(['id', 'vpce-0123456789abcdef0', 'ok']);
  });
});

describe('tables', () => {
  const head = ['endpoint', 'service', 'account', 'state', 'why'];
  const rows = [
    [
      'vpce-0123456789abcdef0',
      'vpce-svc-0123456789abcdef0',
      '111111111111',
      'pendingAcceptance',
      'no rule decided: the defaults say review',
    ],
    ['vpce-0123456789abcdef1', 'vpce-svc-0123456789abcdef0', '222222222222', 'available', 'accepted'],
  ];

  it('line up in columns, two spaces apart, when the ids fit side by side', () => {
    expect(renderTable(head, rows, undefined).split('\n')).toEqual([
      'endpoint                service                     account       state              why',
      'vpce-0123456789abcdef0  vpce-svc-0123456789abcdef0  111111111111  pendingAcceptance  no rule decided: the defaults say review',
      'vpce-0123456789abcdef1  vpce-svc-0123456789abcdef0  222222222222  available          accepted',
    ]);
  });

  it('become records when they do not: the leading columns that fit, the rest labelled below', () => {
    const lines = renderTable(head, rows, 80).split('\n');
    expect(lines).toEqual([
      'endpoint                service                     account',
      'vpce-0123456789abcdef0  vpce-svc-0123456789abcdef0  111111111111',
      '  state  pendingAcceptance',
      '  why    no rule decided: the defaults say review',
      '',
      'vpce-0123456789abcdef1  vpce-svc-0123456789abcdef0  222222222222',
      '  state  available',
      '  why    accepted',
    ]);
    expect(lines.every((line) => line.length <= 80)).toBe(true);
  });

  it('colour a styled cell on every line it wraps into, and nothing else', () => {
    const star = (text: string) => `*${text}*`;
    const text = renderTable(['a', 'b'], [['x', { text: 'would be held', style: star }]], 10);
    expect(text.split('\n')).toEqual(['a  b', 'x  *would*', '   *be held*']);
  });
});
