/**
 * What a notice says, per reader: the AWS Chatbot (Amazon Q Developer in chat
 * applications) custom notification for Slack/Teams, plain text for e-mail, and the
 * record as JSON for queues and functions. Pure, so the demo can render the same
 * Chatbot JSON in a terminal that Slack would show.
 */
import { decidedBy, decidedByPerson } from '../gate/ledger-entry.ts';
import type { LedgerEntry, MemberHealthNotice, Notice, Outcome, RuleProblemEntry } from '../gate/ports.ts';
import { chatCode, chatText, plainLine } from './untrusted-text.ts';

export interface ChatbotNotification {
  version: '1.0';
  source: 'custom';
  id: string;
  content: {
    textType: 'client-markdown';
    title: string;
    description: string;
    nextSteps: string[];
    keywords: string[];
  };
  metadata: {
    /** One chat thread per connection request (the endpoint id), per rule item for rule problems. */
    threadId: string;
    summary: string;
    eventType: string;
    relatedResources: string[];
    additionalContext: Record<string, string>;
  };
}

/** The SNS `MessageStructure: json` body: one message per protocol. */
export interface NoticeMessage {
  default: string;
  email: string;
  sqs: string;
  lambda: string;
}

/** Kept well inside what Chatbot renders: long text is cut, never rejected. */
export const CHATBOT_LIMITS = {
  title: 250,
  description: 4000,
  summary: 250,
  nextSteps: 5,
  keywords: 10,
} as const;
/** SNS: an e-mail subject is ASCII, has no line breaks and is shorter than 100 characters. */
export const SUBJECT_MAX = 99;
const NAME = 'privatelink-gate';

const EMOJI: Record<Outcome, string> = {
  accepted: ':white_check_mark:',
  rejected: ':no_entry:',
  held: ':hourglass_flowing_sand:',
  expired: ':alarm_clock:',
  revoked: ':no_entry_sign:',
  drift: ':warning:',
  failed: ':x:',
  deleted: ':wastebasket:',
  registered: ':handshake:',
};

/** What happened (or, in dry-run, what would have), in a few words. */
export function headline(entry: LedgerEntry): string {
  const dry = entry.dryRun;
  switch (entry.outcome) {
    case 'accepted':
      return dry ? 'Would accept' : 'Accepted';
    case 'rejected':
      return dry ? 'Would reject' : 'Rejected';
    case 'held':
      return dry ? 'Would hold for review' : 'Held for review';
    case 'expired':
      return dry ? 'Would reject as expired' : 'Expired and rejected';
    case 'revoked':
      return dry ? 'Would revoke' : 'Revoked';
    case 'drift':
      return 'Drift: now evaluates to reject';
    case 'failed':
      return entry.action === 'none' ? 'Failed' : `Failed to ${entry.action}`;
    case 'deleted':
      return 'Deleted by the consumer';
    case 'registered':
      return 'Registered';
  }
}

/** Where the service lives, when the entry says (a fleet's); empty in a stack of one. */
function servicePlace(entry: LedgerEntry): string {
  if (entry.serviceAccount === undefined && entry.serviceRegion === undefined) return '';
  return `${entry.serviceAccount ?? '?'} ${entry.serviceRegion ?? '?'}`;
}

function memberHealthText(notice: MemberHealthNotice): string {
  return notice.healthy
    ? `Fleet member ${notice.account} ${notice.region} is reachable again; its waiting requests are decided`
    : `Fleet member ${notice.account} ${notice.region} cannot be reached; its requests wait${notice.reason ? `: ${notice.reason}` : ''}`;
}

function memberHealthNotification(notice: MemberHealthNotice): ChatbotNotification {
  const member = `${notice.account}/${notice.region}`;
  return {
    version: '1.0',
    source: 'custom',
    id: `${NAME}:member:${member}:${notice.healthy ? 'healthy' : 'unhealthy'}:${notice.at}`,
    content: {
      textType: 'client-markdown',
      title: clip(
        `${notice.healthy ? ':white_check_mark: Member reachable' : ':rotating_light: Member unreachable'}: ${chatText(member)}`,
        CHATBOT_LIMITS.title,
      ),
      description: clip(
        [
          `*Account* \`${chatCode(notice.account)}\` · *Region* \`${chatCode(notice.region)}\``,
          chatText(memberHealthText(notice)),
        ].join('\n'),
        CHATBOT_LIMITS.description,
      ),
      nextSteps: notice.healthy
        ? ['Status: `plgate fleet`']
        : ["Check the member's spoke stack, its role's trust and external id: `plgate fleet`"],
      keywords: ['fleet', notice.healthy ? 'healthy' : 'unhealthy', chatText(notice.account)],
    },
    metadata: {
      threadId: `member/${member}`,
      summary: clip(chatText(memberHealthText(notice)), CHATBOT_LIMITS.summary),
      eventType: notice.healthy ? 'MemberHealthy' : 'MemberUnhealthy',
      relatedResources: [member],
      additionalContext: {
        serviceAccount: notice.account,
        serviceRegion: notice.region,
        healthy: String(notice.healthy),
        at: notice.at,
        ...(notice.reason === undefined ? {} : { reason: notice.reason }),
      },
    },
  };
}

export function chatbotNotification(notice: Notice): ChatbotNotification {
  if (notice.kind === 'member-health') return memberHealthNotification(notice);
  if (notice.kind === 'invalid-rule') {
    const item = `${notice.item.kind}/${notice.item.id}`;
    const problems = notice.problems.map(
      (p) => `• \`${chatCode(p.path || '(item)')}\`: ${chatText(p.message)}`,
    );
    return {
      version: '1.0',
      source: 'custom',
      id: `${NAME}:invalid-rule:${item}:${notice.at}`,
      content: {
        textType: 'client-markdown',
        title: clip(`:warning: Invalid rule item: ${chatText(item)}`, CHATBOT_LIMITS.title),
        description: clip(
          [
            `*Item* kind \`${chatCode(notice.item.kind)}\`, id \`${chatCode(notice.item.id)}\``,
            '*Problems*',
            ...problems,
            `*What happens* ${chatText(whatHappens(notice))}`,
          ].join('\n'),
          CHATBOT_LIMITS.description,
        ),
        nextSteps: [`Fix the item in the rules table, or in policies/ and run \`plgate policy push\``],
        keywords: ['invalid-rule', chatText(notice.item.kind)],
      },
      metadata: {
        threadId: `rule-item/${item}`,
        summary: clip(
          `Invalid rule item ${chatText(item)}: ${notice.problems.length} problem(s)`,
          CHATBOT_LIMITS.summary,
        ),
        eventType: 'InvalidRule',
        relatedResources: [item],
        additionalContext: {
          kind: notice.item.kind,
          id: notice.item.id,
          problems: String(notice.problems.length),
          at: notice.at,
        },
      },
    };
  }

  const { entry } = notice;
  const title = `${entry.dryRun ? ':test_tube:' : EMOJI[entry.outcome]} ${headline(entry)}: ${chatText(entry.endpointId)}`;
  return {
    version: '1.0',
    source: 'custom',
    id: `${NAME}:${entry.endpointId}:${entry.outcome}:${entry.at}`,
    content: {
      textType: 'client-markdown',
      title: clip(title, CHATBOT_LIMITS.title),
      description: clip(markdownDescription(entry), CHATBOT_LIMITS.description),
      nextSteps: nextSteps(entry, chatCode(entry.endpointId)).slice(0, CHATBOT_LIMITS.nextSteps),
      keywords: [
        entry.outcome,
        entry.decision,
        chatText(entry.serviceId),
        chatText(entry.account),
        ...(entry.dryRun ? ['dry-run'] : []),
      ].slice(0, CHATBOT_LIMITS.keywords),
    },
    metadata: {
      threadId: entry.endpointId,
      summary: clip(
        `${headline(entry)} ${chatText(entry.endpointId)} (account ${chatText(entry.account)}) on ${chatText(entry.serviceId)}${servicePlace(entry) ? ` in ${chatText(servicePlace(entry))}` : ''}: ${chatText(decidedBy(entry))}`,
        CHATBOT_LIMITS.summary,
      ),
      eventType: `Connection${entry.outcome.charAt(0).toUpperCase()}${entry.outcome.slice(1)}`,
      relatedResources: [entry.serviceId, entry.endpointId],
      // The Slack buttons read the endpoint id and the outcome from here (infra/constructs/operator-buttons.ts).
      additionalContext: {
        endpointId: entry.endpointId,
        serviceId: entry.serviceId,
        account: entry.account,
        decision: entry.decision,
        rule: entry.rule ?? '(default)',
        outcome: entry.outcome,
        action: entry.action,
        dryRun: String(entry.dryRun),
        trigger: entry.trigger,
        state: entry.state,
        rulesVersion: String(entry.rulesVersion),
        at: entry.at,
        ...(entry.error === undefined ? {} : { error: entry.error.code }),
        decidedBy: decidedBy(entry),
        ...(entry.actor === undefined ? {} : { actor: entry.actor }),
        ...(entry.serviceAccount === undefined ? {} : { serviceAccount: entry.serviceAccount }),
        ...(entry.serviceRegion === undefined ? {} : { serviceRegion: entry.serviceRegion }),
      },
    },
  };
}

export function formatNoticeMessage(notice: Notice): NoticeMessage {
  const record = JSON.stringify(notice.kind === 'decision' ? notice.entry : notice);
  if (notice.kind === 'member-health') {
    return {
      default: JSON.stringify(chatbotNotification(notice)),
      email: `${NAME}: ${memberHealthText(notice)}.\n\nStatus of every member: plgate fleet`,
      sqs: record,
      lambda: record,
    };
  }
  return {
    default: JSON.stringify(chatbotNotification(notice)),
    email: emailText(notice),
    sqs: record,
    lambda: record,
  };
}

/** The e-mail subject: ASCII, one line, under 100 characters. */
export function noticeSubject(notice: Notice): string {
  const text =
    notice.kind === 'member-health'
      ? `[${NAME}] Member ${notice.account} ${notice.region} ${notice.healthy ? 'reachable again' : 'unreachable'}`
      : notice.kind === 'invalid-rule'
        ? `[${NAME}] Invalid rule item: ${notice.item.kind}/${notice.item.id}`
        : `[${NAME}] ${notice.entry.dryRun ? '[dry-run] ' : ''}${headline(notice.entry)} ${notice.entry.endpointId} on ${notice.entry.serviceId}`;
  return clipAscii(text.replace(/[^\x20-\x7e]/g, '?'), SUBJECT_MAX);
}

/** SNS message attributes for subscription filter policies; absent values are left out. */
export function noticeAttributes(notice: Notice): Record<string, string> {
  if (notice.kind === 'invalid-rule') return { outcome: 'invalid-rule' };
  if (notice.kind === 'member-health')
    return {
      outcome: notice.healthy ? 'member-healthy' : 'member-unhealthy',
      serviceAccount: notice.account,
      serviceRegion: notice.region,
    };
  const { entry } = notice;
  const attributes: Record<string, string> = {
    decision: entry.decision,
    outcome: entry.outcome,
    serviceId: entry.serviceId,
    account: entry.account,
    dryRun: String(entry.dryRun),
    serviceAccount: entry.serviceAccount ?? '',
    serviceRegion: entry.serviceRegion ?? '',
  };
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== ''));
}

function markdownDescription(entry: LedgerEntry): string {
  // A registration has no endpoint yet: it is recorded on the service.
  const lines = [
    entry.outcome === 'registered'
      ? `*Service* \`${chatCode(entry.serviceId)}\` for account \`${chatCode(entry.account)}\``
      : `*Endpoint* \`${chatCode(entry.endpointId)}\` from account \`${chatCode(entry.account)}\``,
    ...(entry.outcome === 'registered' ? [] : [`*Service* \`${chatCode(entry.serviceId)}\``]),
    ...(servicePlace(entry)
      ? [
          `*Service account* \`${chatCode(entry.serviceAccount ?? '?')}\` · *Service region* \`${chatCode(entry.serviceRegion ?? '?')}\``,
        ]
      : []),
    `*Decision* ${entry.decision}, ${chatText(decidedBy(entry))}`,
  ];
  if (entry.reasons.length > 0) lines.push('*Why*', ...entry.reasons.map((r) => `• ${chatText(r)}`));
  if (entry.matched.length > 0)
    lines.push(`*Matched* ${entry.matched.map((m) => `\`${chatCode(m)}\``).join(', ')}`);
  lines.push(
    `*State* ${chatText(entry.state)} · *Trigger* ${entry.trigger} · *Rules version* ${entry.rulesVersion} · *At* ${chatText(entry.at)}`,
  );
  if (entry.error !== undefined)
    lines.push(`*Error* \`${chatCode(entry.error.code)}\`: ${chatText(entry.error.message)}`);
  if (entry.actor !== undefined && !decidedByPerson(entry)) lines.push(`*By* ${chatText(entry.actor)}`);
  if (entry.reason !== undefined) lines.push(`*Reason given* ${chatText(entry.reason)}`);
  if (entry.decidedAt !== undefined) lines.push(`*Decided at* ${chatText(entry.decidedAt)}`);
  if (entry.carriedBy !== undefined) lines.push(`*Carried out by* the ${entry.carriedBy}`);
  if (entry.dryRun) lines.push('_Dry run: nothing was changed._');
  return lines.join('\n');
}

/** `id` is the endpoint id already made safe for the medium. */
function nextSteps(entry: LedgerEntry, id: string): string[] {
  const steps: string[] = [];
  if (entry.outcome === 'held') {
    steps.push(`Approve: \`plgate approve ${id}\``, `Deny: \`plgate deny ${id}\``);
    steps.push('Or add a rule that decides it; unanswered, it expires after the review time');
  } else if (entry.outcome === 'drift') {
    steps.push(
      `Reject it now: \`plgate deny ${id}\``,
      'Or set `onRevoke: reject` to revoke such connections',
    );
  } else if (entry.outcome === 'failed') {
    steps.push('The next sweep tries again');
  } else if (entry.dryRun) {
    steps.push('Set `mode: enforce` for the service to act on decisions like this');
  }
  steps.push(`History: \`plgate history ${entry.outcome === 'registered' ? '--service ' : ''}${id}\``);
  return steps;
}

function emailText(notice: Exclude<Notice, MemberHealthNotice>): string {
  if (notice.kind === 'invalid-rule') {
    return [
      `${NAME}: a rule item failed validation.`,
      '',
      `Item: ${plainLine(`${notice.item.kind}/${notice.item.id}`)}`,
      `Time: ${plainLine(notice.at)}`,
      'Problems:',
      ...notice.problems.map((p) => `  - ${plainLine(p.path || '(item)')}: ${plainLine(p.message)}`),
      '',
      `What happens: ${plainLine(whatHappens(notice))}.`,
      'Fix the item in the rules table, or in policies/ and run `plgate policy push`.',
    ].join('\n');
  }
  const { entry } = notice;
  const row = (label: string, value: string): string => `${`${label}:`.padEnd(15)}${plainLine(value)}`;
  const lines = [
    `${NAME}: ${headline(entry)} ${plainLine(entry.endpointId)}${entry.dryRun ? ' (dry-run: nothing was changed)' : ''}`,
    '',
    ...(entry.outcome === 'registered' ? [] : [row('Endpoint', entry.endpointId)]),
    row('Account', entry.account),
    row('Service', entry.serviceId),
    ...(servicePlace(entry) ? [row('Service in', servicePlace(entry))] : []),
    row('Decision', entry.decision),
    row('Decided by', decidedBy(entry)),
    row('Matched rules', entry.matched.length > 0 ? entry.matched.join(', ') : 'none'),
    row('Action', entry.action),
    row('Outcome', entry.outcome),
    row('State', entry.state),
    row('Trigger', entry.trigger),
    row('Rules version', String(entry.rulesVersion)),
    row('Time', entry.at),
  ];
  if (entry.error !== undefined) lines.push(row('Error', `${entry.error.code}: ${entry.error.message}`));
  if (entry.actor !== undefined && !decidedByPerson(entry)) lines.push(row('By', entry.actor));
  if (entry.reason !== undefined) lines.push(row('Reason given', entry.reason));
  if (entry.decidedAt !== undefined) lines.push(row('Decided at', entry.decidedAt));
  if (entry.carriedBy !== undefined) lines.push(row('Carried by', `the ${entry.carriedBy}`));
  if (entry.reasons.length > 0)
    lines.push('', 'Reasons:', ...entry.reasons.map((r) => `  - ${plainLine(r)}`));
  const steps = nextSteps(entry, plainLine(entry.endpointId));
  lines.push('', 'Next steps:', ...steps.map((s) => `  - ${s.replaceAll('`', '')}`));
  return lines.join('\n');
}

/** What the gate does because of an invalid item; never "ignored" when something is held. */
function whatHappens(notice: RuleProblemEntry): string {
  return notice.held ?? 'what this item covers is held: no accept until it is fixed';
}

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function clipAscii(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
