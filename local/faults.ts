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

/** The faults that strike a call at the edge, which has an account and region: the ones that can be aimed. */
export const AIMABLE_FAULTS: readonly FaultName[] = [
  'ec2.throttle',
  'ec2.error',
  'ec2.slow',
  'ec2.reset',
  'dynamodb.error',
  'sns.error',
  'events.error',
];

/** A fault aimed at one account (and region): `ec2.throttle@111111111111:eu-west-1=1`. */
export interface AimedFault {
  name: FaultName;
  account: string;
  /** Absent: every region of the account. */
  region?: string;
  rate: number;
}

/** Where a call is made: the account it acts in and the region it is sent to. */
export interface FaultPlace {
  account: string;
  region: string;
}

export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

/**
 * `name=rate[,name=rate…]`, rates from 0 to 1; `all=RATE` sets every fault (later
 * entries override earlier ones, so `all=0.2,ec2.reset=0` works). Entries aimed at one
 * account (`name@ACCOUNT[:REGION]=rate`) are refused here: `parseFaults` takes them.
 */
export function parseFaultSpec(spec: string): FaultRates {
  const { rates, aimed } = parseFaults(spec);
  const first = aimed[0];
  if (first !== undefined)
    throw new FaultSpecError(
      `--faults: '${first.name}@${first.account}' is aimed at an account, which this run does not take`,
    );
  return rates;
}

/**
 * `--faults` with entries aimed at one fleet member: `ec2.throttle@111111111111:eu-west-1=1`
 * strikes only calls made in that account and region (`@111111111111` alone: every region of
 * it). Only faults of calls at the edge can be aimed (`AIMABLE_FAULTS`).
 */
export function parseFaults(spec: string): { rates: FaultRates; aimed: AimedFault[] } {
  const rates: FaultRates = {};
  const aimed: AimedFault[] = [];
  if (spec.trim() === '')
    throw new FaultSpecError(`--faults must be name=rate[,name=rate...], got '${spec}'`);
  for (const part of spec.split(',')) {
    const match = /^\s*([a-z0-9.]+)(?:@([^=\s]*))?\s*=\s*([^\s]+)\s*$/.exec(part);
    if (match === null)
      throw new FaultSpecError(
        `--faults: '${part}' is not name=rate or name@ACCOUNT:REGION=rate (e.g. ec2.throttle=0.2, ec2.throttle@111111111111:eu-west-1=1)`,
      );
    const [, name = '', target, rateText = ''] = match;
    const rate = /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(rateText) ? Number(rateText) : Number.NaN;
    if (!Number.isFinite(rate) || rate < 0 || rate > 1)
      throw new FaultSpecError(
        `--faults: the rate of ${name} must be a number from 0 to 1, got '${rateText}'`,
      );
    if (target !== undefined) {
      aimed.push({ ...aimedAt(part.trim(), name, target), rate });
      continue;
    }
    if (name === 'all') {
      for (const fault of FAULT_NAMES) rates[fault] = rate;
    } else if (isFaultName(name)) {
      rates[name] = rate;
    } else {
      throw new FaultSpecError(`--faults: unknown fault '${name}' (known: all, ${FAULT_NAMES.join(', ')})`);
    }
  }
  return { rates, aimed };
}

/** The fault and the place of `name@ACCOUNT[:REGION]`, each part checked. */
function aimedAt(part: string, name: string, target: string): Omit<AimedFault, 'rate'> {
  if (!isFaultName(name) || !AIMABLE_FAULTS.includes(name))
    throw new FaultSpecError(
      `--faults: '${part}': only these faults can be aimed at an account: ${AIMABLE_FAULTS.join(', ')} (got '${name}')`,
    );
  const [account = '', region, ...rest] = target.split(':');
  if (!/^[0-9]{12}$/.test(account))
    throw new FaultSpecError(`--faults: '${part}': the account must be 12 digits, got '${account}'`);
  if (rest.length > 0 || (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/.test(region)))
    throw new FaultSpecError(
      `--faults: '${part}': the region must look like us-east-1, got '${target.slice(account.length + 1)}'`,
    );
  return { name, account, ...(region === undefined ? {} : { region }) };
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
  /** Faults aimed at one account (and region), over `rates` there. */
  aimed?: AimedFault[];
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

  /**
   * Throws the dice for one fault; true (and counted) when it strikes. A call made at
   * `place` gets the rate of a fault aimed there (the one naming its region before the one
   * naming only its account), else the general one.
   */
  strikes(name: FaultName, place?: FaultPlace): boolean {
    const rate = this.rateOf(name, place);
    if (rate <= 0 || !this.active) return false;
    if (this.random() >= rate) return false;
    this.injected[name] += 1;
    return true;
  }

  private rateOf(name: FaultName, place: FaultPlace | undefined): number {
    const aimed = (this.options.aimed ?? []).filter(
      (fault) =>
        fault.name === name &&
        place !== undefined &&
        fault.account === place.account &&
        (fault.region === undefined || fault.region === place.region),
    );
    const exact = aimed.find((fault) => fault.region !== undefined) ?? aimed[0];
    return exact?.rate ?? this.options.rates[name] ?? 0;
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
