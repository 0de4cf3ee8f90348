/**
 * The local cloud's state outside DynamoDB (dynalite keeps its own), kept in one JSON
 * file under `--data`: written whole to a temporary file and renamed over the old one, so
 * a crash leaves the old state or the new, never half of one. Writes are debounced while
 * the cloud runs, and made once more at shutdown.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Ec2Snapshot } from './ec2/model.ts';
import type { SnsSnapshot } from './sns/topics.ts';

export const STATE_FILE = 'plgate-local-state.json';
const FORMAT = 'plgate-local-state';
/**
 * 2: topics keep their settings (policy, key, attributes), SNS subscriptions and EventBridge
 * buses are kept. A version-1 file (topic ARNs only) still loads: its topics get no settings,
 * as it had none to keep, and there were no subscriptions or buses in it.
 */
export const STATE_VERSION = 3;

/**
 * 3: the services of the registry keep their own sections (`services`, by service name:
 * the deployed stacks, roles, queues, functions, rules). A version-2 file has none: its
 * gate was wired by hand, with tables of fixed names (local/migrations/).
 */
export interface CloudState {
  ec2: Ec2Snapshot;
  sns: SnsSnapshot;
  /** Buses created besides each account's default, as `account/name`. */
  events: { buses: string[] };
  services: Record<string, unknown>;
  /** The version of the file it was read from (1, 2 or 3). */
  readFromVersion?: number;
}

export class StateFileError extends Error {
  override name = 'StateFileError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseState(path: string, text: string): CloudState {
  const fail = (why: string, cause?: unknown) =>
    new StateFileError(
      `cannot read the local cloud's state from ${path}: ${why}; move the file away to start with an empty cloud`,
      { cause },
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw fail('it is not JSON', error);
  }
  if (!isRecord(parsed) || parsed.format !== FORMAT) throw fail(`it is not a ${FORMAT} file`);
  if (parsed.version !== 1 && parsed.version !== 2 && parsed.version !== STATE_VERSION) {
    throw fail(`version ${String(parsed.version)} is not 1, 2 or ${STATE_VERSION}`);
  }
  const { ec2, sns, events } = parsed;
  if (
    !isRecord(ec2) ||
    typeof ec2.seq !== 'number' ||
    !Array.isArray(ec2.services) ||
    !Array.isArray(ec2.endpoints) ||
    !Array.isArray(ec2.notifications) ||
    !Array.isArray(ec2.notificationTokens)
  ) {
    throw fail('its ec2 section is incomplete');
  }
  if (!isRecord(sns) || !Array.isArray(sns.topics)) throw fail('its sns section is incomplete');
  if (parsed.version === 1) {
    if (!sns.topics.every((arn) => typeof arn === 'string')) throw fail('its sns section is incomplete');
    return {
      ec2: ec2 as unknown as Ec2Snapshot,
      sns: { topics: sns.topics.map((arn) => ({ arn: String(arn) })), subscriptions: [] },
      events: { buses: [] },
      services: {},
      readFromVersion: 1,
    };
  }
  if (
    !sns.topics.every((topic) => isRecord(topic) && typeof topic.arn === 'string') ||
    !Array.isArray(sns.subscriptions) ||
    !sns.subscriptions.every(
      (subscription) =>
        isRecord(subscription) &&
        ['topicArn', 'protocol', 'endpoint', 'owner'].every((key) => typeof subscription[key] === 'string'),
    )
  ) {
    throw fail('its sns section is incomplete');
  }
  if (
    !isRecord(events) ||
    !Array.isArray(events.buses) ||
    !events.buses.every((bus) => typeof bus === 'string')
  ) {
    throw fail('its events section is incomplete');
  }
  const services = parsed.version === STATE_VERSION ? parsed.services : {};
  if (!isRecord(services)) throw fail('its services section is incomplete');
  // Written by this code from the models' own snapshots: the sections' members are trusted.
  return {
    ec2: ec2 as unknown as Ec2Snapshot,
    sns: sns as unknown as SnsSnapshot,
    events: { buses: events.buses as string[] },
    services,
    readFromVersion: parsed.version,
  };
}

export class StateFile {
  readonly path: string;
  private timer: NodeJS.Timeout | undefined;
  private lastWritten: string | undefined;

  constructor(
    dataDir: string,
    private readonly snapshot: () => CloudState,
    private readonly options: { debounceMs: number; log: (line: string) => void },
  ) {
    this.path = join(dataDir, STATE_FILE);
  }

  /** The saved state, or undefined when there is none yet. */
  load(): CloudState | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
      throw new StateFileError(`cannot read ${this.path}: ${String(error)}`, { cause: error });
    }
    this.lastWritten = text;
    return parseState(this.path, text);
  }

  /** Something may have changed: write within `debounceMs`, once for a burst of changes. */
  changed(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.flush();
      } catch (error) {
        this.options.log(`could not save state to ${this.path}: ${String(error)}`);
      }
    }, this.options.debounceMs);
    this.timer.unref();
  }

  /** Writes now (when the state differs from what the file holds), atomically. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const { readFromVersion: _read, ...state } = this.snapshot();
    const text = `${JSON.stringify({ format: FORMAT, version: STATE_VERSION, ...state }, null, 1)}\n`;
    if (text === this.lastWritten) return;
    const temporary = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
    this.lastWritten = text;
  }
}
