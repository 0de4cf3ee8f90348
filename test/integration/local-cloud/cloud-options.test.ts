/** What startLocalCloud refuses before it listens: each refusal names the option and the value. */
import { describe, expect, it } from 'vitest';
import { LocalCloudOptionsError, startLocalCloud } from '../../../local/cloud.ts';

describe('startLocalCloud options', () => {
  it.each([0, -1, 1.5, Number.NaN])('refuses %s environments per function', async (value) => {
    await expect(startLocalCloud({ port: 0, environmentsPerFunction: value })).rejects.toThrow(
      new LocalCloudOptionsError(`environmentsPerFunction must be a whole number >= 1, got ${value}`),
    );
  });

  it('takes one environment per function', async () => {
    const cloud = await startLocalCloud({ port: 0, environmentsPerFunction: 1, log: () => {} });
    await cloud.stop();
  });
});
