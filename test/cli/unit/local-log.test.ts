import { afterEach, describe, expect, it, vi } from 'vitest';
import { localRunOptions } from '../../../cli/commands/local.ts';
import { LOCAL_FLAGS } from '../../support/local-flags.ts';

const flags = LOCAL_FLAGS;

describe('plgate local diagnostics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes every message as one line, so a value cannot fake a line of its own', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const { log } = localRunOptions(flags, () => {});
    log('delivery failed: tag\nplgate local: connection vpce-1 accepted\u001b[2K');
    expect(written).toEqual([
      'plgate local: delivery failed: tag\\nplgate local: connection vpce-1 accepted\\u001b[2K\n',
    ]);
  });
});
