import { describe, expect, it } from 'vitest';
import { ManagedServiceCache } from '../../../functions/gate/managed-services.ts';
import { FakeEndpointServices } from '../../support/gate-fakes.ts';

const SERVICE = 'vpce-svc-0123456789abcdef0';
const OTHER = 'vpce-svc-0fffffffffffffff0';

function setup() {
  const ec2 = new FakeEndpointServices();
  ec2.managed.add(SERVICE);
  let asked = 0;
  let fail = false;
  const isManaged = ec2.isManaged.bind(ec2);
  ec2.isManaged = async (serviceId) => {
    asked += 1;
    if (fail) throw new Error('EC2 unavailable');
    return isManaged(serviceId);
  };
  let clock = 0;
  const cache = new ManagedServiceCache(ec2, { maxAgeMs: 60_000, now: () => clock });
  return {
    ec2,
    cache,
    asked: () => asked,
    failing: (value: boolean) => {
      fail = value;
    },
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('whether a service is managed, kept per container', () => {
  it('asks EC2 once, then answers from what it knows until the answer is old', async () => {
    const w = setup();
    expect(await w.cache.isManaged(SERVICE)).toBe(true);
    expect(await w.cache.isManaged(SERVICE)).toBe(true);
    expect(await w.cache.isManaged(OTHER)).toBe(false);
    expect(await w.cache.isManaged(OTHER)).toBe(false);
    expect(w.asked()).toBe(2);
    w.ec2.managed.delete(SERVICE);
    w.advance(60_000);
    expect(await w.cache.isManaged(SERVICE)).toBe(false);
    expect(w.asked()).toBe(3);
  });

  it('asks again when told the service changed (fresh)', async () => {
    const w = setup();
    expect(await w.cache.isManaged(OTHER)).toBe(false);
    w.ec2.managed.add(OTHER);
    expect(await w.cache.isManaged(OTHER)).toBe(false);
    expect(await w.cache.isManaged(OTHER, { fresh: true })).toBe(true);
    expect(await w.cache.isManaged(OTHER)).toBe(true);
  });

  it("takes the sweep's list as the whole truth: listed services are managed, others are not", async () => {
    const w = setup();
    expect(await w.cache.isManaged(SERVICE)).toBe(true);
    w.ec2.managed.delete(SERVICE);
    w.ec2.managed.add(OTHER);
    await w.cache.listManagedServices();
    const before = w.asked();
    expect(await w.cache.isManaged(SERVICE)).toBe(false);
    expect(await w.cache.isManaged(OTHER)).toBe(true);
    expect(w.asked()).toBe(before);
  });

  it('does not keep a fault as an answer', async () => {
    const w = setup();
    w.failing(true);
    await expect(w.cache.isManaged(SERVICE)).rejects.toThrow('EC2 unavailable');
    w.failing(false);
    expect(await w.cache.isManaged(SERVICE)).toBe(true);
  });
});
