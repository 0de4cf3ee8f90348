import { describe, expect, it } from 'vitest';
import { fitColumns } from '../../../cli/column-widths.ts';

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
