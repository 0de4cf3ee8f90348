/**
 * The rule files in policies/ are what a provider starts from and what the demo runs
 * on: they must be valid and decide as their comments say.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../functions/core/evaluate.ts';
import { ruleSetFromFiles } from '../../../functions/core/rules/rule-files.ts';
import { settingsFor } from '../../../functions/core/rules/settings.ts';
import { connection, context } from './rules-for-tests.ts';

const dir = new URL('../../../policies/', import.meta.url);
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => ({ path: `policies/${name}`, text: readFileSync(new URL(name, dir), 'utf8') }));
const { ruleSet, problems } = ruleSetFromFiles(files);

const PAYMENTS = 'vpce-svc-0a1b2c3d4e5f67890';
const ANY_SERVICE = 'vpce-svc-0fedcba9876543210';

describe('policies/', () => {
  it('is valid, and every file points editors at schema.json', () => {
    expect(problems).toEqual([]);
    expect(files.map((file) => file.path)).toEqual([
      'policies/block-list.yaml',
      'policies/defaults.yaml',
      'policies/partners.yaml',
      'policies/payments-api.yaml',
    ]);
    for (const file of files)
      expect(file.text.split('\n')[0]).toBe('# yaml-language-server: $schema=./schema.json');
  });

  it('defaults: review, P7D, notify, enforce', () => {
    expect(settingsFor(ruleSet, ANY_SERVICE)).toEqual({
      defaultEffect: 'review',
      pendingTtl: 'P7D',
      pendingTtlMs: 7 * 86_400_000,
      onRevoke: 'notify',
      mode: 'enforce',
    });
  });

  it.each([
    ['111111111111', 'accept', 'partner-acme'],
    ['222222222222', 'accept', 'partner-globex'],
    ['666666666666', 'reject', 'block-known-abuser'],
    ['333333333333', 'review', null],
  ])('on any service, whatever the region or organization data: %s → %s', (account, decision, rule) => {
    for (const region of ['us-east-1', 'eu-west-1', undefined]) {
      for (const organization of [undefined, { organizationId: 'o-a1b2c3d4e5', ouIds: [] }]) {
        const record = evaluate(
          connection({ serviceId: ANY_SERVICE, account, region }),
          context({ organization }),
          ruleSet,
        );
        expect(record).toMatchObject({ decision, rule, undetermined: [] });
      }
    }
  });

  it('the payments service: default reject, cross-region review, a canary by endpoint and tags', () => {
    const onPayments = (overrides: Parameters<typeof connection>[0]) =>
      evaluate(
        connection({ serviceId: PAYMENTS, ...overrides }),
        context({ serviceRegion: 'us-east-1' }),
        ruleSet,
      );
    expect(onPayments({ account: '333333333333' })).toMatchObject({ decision: 'reject', default: true });
    expect(onPayments({ account: '111111111111', region: 'us-east-1' })).toMatchObject({
      decision: 'accept',
    });
    expect(onPayments({ account: '111111111111', region: 'eu-west-1' })).toMatchObject({
      decision: 'review',
      rule: 'payments-cross-region-review',
    });
    // Every other region, including ones opened after the rule was written; no region from
    // EC2 means the service's own.
    for (const region of ['us-west-2', 'ap-southeast-7', 'mx-central-1', 'eu-central-3']) {
      expect(onPayments({ account: '111111111111', region })).toMatchObject({
        decision: 'review',
        rule: 'payments-cross-region-review',
      });
    }
    expect(onPayments({ account: '111111111111', region: undefined })).toMatchObject({ decision: 'accept' });
    // Without the service's region, "another region" cannot be told: held, never accepted.
    expect(
      evaluate(connection({ serviceId: PAYMENTS, account: '111111111111' }), context(), ruleSet),
    ).toMatchObject({ decision: 'review', undetermined: ['payments-cross-region-review'] });
    expect(
      onPayments({
        account: '999999999999',
        endpointId: 'vpce-0f1e2d3c4b5a69788',
        tags: { purpose: 'canary', owner: 'x' },
      }),
    ).toMatchObject({ decision: 'accept', rule: 'payments-synthetic-canary' });
    expect(settingsFor(ruleSet, PAYMENTS)).toMatchObject({
      defaultEffect: 'reject',
      pendingTtl: 'P3D',
      onRevoke: 'reject',
    });
  });

  it('a quota partner and a time-boxed pilot', () => {
    const initech = connection({ serviceId: ANY_SERVICE, account: '444444444444' });
    expect(evaluate(initech, context({ liveEndpoints: 1 }), ruleSet).decision).toBe('accept');
    expect(evaluate(initech, context({ liveEndpoints: 2 }), ruleSet).decision).toBe('review');
    const contoso = connection({ serviceId: ANY_SERVICE, account: '555555555555' });
    expect(evaluate(contoso, context({ now: new Date('2027-03-01T00:00:00Z') }), ruleSet).decision).toBe(
      'accept',
    );
    expect(evaluate(contoso, context({ now: new Date('2027-07-01T00:00:00Z') }), ruleSet).decision).toBe(
      'review',
    );
  });
});
