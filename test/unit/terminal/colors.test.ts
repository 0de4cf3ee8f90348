import { describe, expect, it } from 'vitest';
import { colors } from '../../../terminal/colors.ts';

describe('terminal colours', () => {
  it('colour a terminal, not a pipe, even on CI; NO_COLOR and FORCE_COLOR decide first', () => {
    expect(colors({}, { isTTY: true }).red('x')).not.toBe('x');
    expect(colors({ CI: 'true' }, { isTTY: false }).red('x')).toBe('x');
    expect(colors({ NO_COLOR: '1' }, { isTTY: true }).red('x')).toBe('x');
    expect(colors({ FORCE_COLOR: '1' }, { isTTY: false }).red('x')).not.toBe('x');
  });
});
