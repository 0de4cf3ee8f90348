/**
 * Faults the local cloud injects into the gate's own calls and deliveries, as AWS would
 * inject them: throttling, errors, slow answers and reset connections on EC2, lost,
 * duplicated, delayed and reordered connection notifications, DynamoDB, SNS and
 * EventBridge errors, and Lambda invocations that die. One seed, one sequence of faults.
 */

export const FAULT_NAMES = [
  'ec2.throttle',
  'ec2.error',
  'ec2.slow',
  'ec2.reset',
  'notify.drop',
  'notify.duplicate',
  'notify.delay',
  'notify.reorder',
  'dynamodb.error',
  'sns.error',
  'events.error',
  'lambda.crash',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];
export type FaultRates = Partial<Record<FaultName, number>>;

export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

/**
 * `name=rate[,name=rate…]`, rates from 0 to 1; `all=RATE` sets every fault (later
 * entries override earlier ones, so `all=0.2,ec2.reset=0` works).
 */
export function parseFaultSpec(spec: string): FaultRates {
  const rates: FaultRates = {};
  if (spec.trim() === '')
    throw new FaultSpecError(`--faults must be name=rate[,name=rate...], got '${spec}'`);
  for (const part of spec.split(',')) {
    const match = /^\s*([a-z0-9.]+)\s*=\s*([^\s]+)\s*$/.exec(part);
    if (match === null)
      throw new FaultSpecError(`--faults: '${part}' is not name=rate (e.g. ec2.throttle=0.2)`);
    const [, name = '', rateText = ''] = match;
    const rate = /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(rateText) ? Number(rateText) : Number.NaN;
    if (!Number.isFinite(rate) || rate < 0 || rate > 1)
      throw new FaultSpecError(
        `--faults: the rate of ${name} must be a number from 0 to 1, got '${rateText}'`,
      );
    if (name === 'all') {
      for (const fault of FAULT_NAMES) rates[fault] = rate;
    } else if (isFaultName(name)) {
      rates[name] = rate;
    } else {
      throw new FaultSpecError(`--faults: unknown fault '${name}' (known: all, ${FAULT_NAMES.join(', ')})`);
    }
  }
  return rates;
}

function isFaultName(name: string): name is FaultName {
  return (FAULT_NAMES as readonly string[]).includes(name);
}

/** mulberry32: small, fast and good enough to make a fault sequence repeatable by seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultOptions {
  rates: FaultRates;
  /** Default 1. */
  seed?: number;
  /** Faults stop this long after the cloud starts; absent: never. */
  forMs?: number;
}

/** The fault dice and what they have thrown so far. */
export class Faults {
  readonly injected: Record<FaultName, number> = Object.fromEntries(
    FAULT_NAMES.map((name) => [name, 0]),
  ) as Record<FaultName, number>;
  private random: () => number;
  private enabled = true;
  private readonly until: number;

  constructor(
    private readonly options: FaultOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.random = seededRandom(options.seed ?? 1);
    this.until = options.forMs === undefined ? Number.POSITIVE_INFINITY : now() + options.forMs;
  }

  /** Whether faults are still being injected (not switched off, not past --faults-for). */
  get active(): boolean {
    return this.enabled && this.now() < this.until;
  }

  /** Throws the dice for one fault; true (and counted) when it strikes. */
  strikes(name: FaultName): boolean {
    const rate = this.options.rates[name] ?? 0;
    if (rate <= 0 || !this.active) return false;
    if (this.random() >= rate) return false;
    this.injected[name] += 1;
    return true;
  }

  /** A number from the same seeded sequence, for how long a delay lasts or which error. */
  pick(below: number): number {
    return Math.floor(this.random() * below);
  }

  /** Faults on again, from the start of the seed's sequence, counts from zero. */
  restart(): void {
    this.random = seededRandom(this.options.seed ?? 1);
    for (const name of FAULT_NAMES) this.injected[name] = 0;
    this.enabled = true;
  }

  /** Stops every fault now (the chaos run's "faults off"). */
  stop(): void {
    this.enabled = false;
  }

  get total(): number {
    return Object.values(this.injected).reduce((sum, count) => sum + count, 0);
  }
}
