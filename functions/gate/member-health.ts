/**
 * A fleet member's health, as the sweep found it: recorded for each member, and announced
 * once when it changes (one notice when it becomes unreachable, one when it recovers). An
 * unreachable member's requests are not decided: they wait for it, never accepted.
 */
import type { Notifier } from './ports.ts';

export interface MemberPlace {
  account: string;
  region: string;
}

/** What one look at a member found: healthy, unhealthy with the reason, or unknown (a passing fault). */
export type MemberLook = MemberPlace & ({ healthy: true } | { healthy: false; reason: string });

export interface MemberHealthDeps {
  /** Records the health; true when it changed (exactly one caller sees each change). */
  recordHealth(place: MemberPlace, healthy: boolean, now: Date, reason?: string): Promise<boolean>;
  notifier: Notifier;
  now: () => Date;
}

/** Records every look and sends a notice for each change; returns the members found unhealthy. */
export async function reportMemberHealth(looks: MemberLook[], deps: MemberHealthDeps): Promise<MemberLook[]> {
  const now = deps.now();
  for (const look of looks) {
    const place = { account: look.account, region: look.region };
    const reason = look.healthy ? undefined : look.reason;
    if (!(await deps.recordHealth(place, look.healthy, now, reason))) continue;
    await deps.notifier.publish({
      kind: 'member-health',
      ...place,
      healthy: look.healthy,
      ...(reason === undefined ? {} : { reason }),
      at: now.toISOString(),
    });
  }
  return looks.filter((look) => !look.healthy);
}
