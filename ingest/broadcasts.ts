/**
 * Broadcasts' use cases, for the API and the CLI: create (a draft), preview, dry run, approve (a
 * second key), start (the run workflow `broadcast-<id>`), stop, and status. Each reads like its step
 * of the lifecycle; SQL is in `db/broadcasts.ts`, the rules in `domain/broadcasts.ts`.
 *
 * County isolation: a key with some counties sees (and acts on) only broadcasts whose every county
 * it covers; any other broadcast, like an unknown one, is `not_found` (no existence oracle). A
 * broadcast over every county (`counties: null`) belongs to all-county keys.
 */
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import {
  approveBroadcast,
  broadcastProgress,
  countSelection,
  createBroadcast,
  findBroadcast,
  listBroadcasts,
  markBroadcastRunning,
  markBroadcastStopped,
  noteDryRun,
  selectionAudience,
  type AudienceGroup,
  type Broadcast,
  type BroadcastProgress,
} from '../db/broadcasts.js';
import type { Sql } from '../db/client.js';
import { countyDetailsRow } from '../db/counties.js';
import { findElectionSettings } from '../db/elections.js';
import {
  BROADCAST_MESSAGES,
  isBroadcastMessage,
  statusesOutsideMessage,
  type BroadcastMessageKey,
} from '../domain/broadcasts.js';
import { POLLS_CLOSE } from '../domain/notices.js';
import { allowsCounty, type Principal } from '../domain/principal.js';
import { nextAllowedInstant } from '../domain/quiet-hours.js';
import { zonedTimeToInstant } from '../domain/zoned-time.js';
import { resolveCountyDetails, type CountyFallback } from '../delivery/county.js';
import { renderEmail, renderSms, renderVoice, resolveLanguage } from '../delivery/templates/index.js';
import { broadcastWorkflow, broadcastWorkflowId, stopBroadcastSignal } from '../workflows/broadcast.js';

/** A refusal the API turns into its status and code (the CLI into one line). */
export class BroadcastRefused extends Error {
  override name = 'BroadcastRefused';
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface BroadcastServiceDeps {
  sql: Sql;
  /** Starts and stops the run workflow; without it, `start` answers 503. */
  temporal?: { client: Client; taskQueue: string } | undefined;
  countyFallback?: CountyFallback | undefined;
}

export interface CreateBroadcastInput {
  electionId: string;
  /** Omitted: the key's counties (every county for an all-county key). */
  counties?: string[] | undefined;
  statuses: string[];
  messageKey: string;
  note?: string | undefined;
}

const notFound = (broadcastId: number) => new BroadcastRefused(404, 'not_found', `No broadcast ${broadcastId}.`);

function visibleTo(principal: Principal, broadcast: Broadcast): boolean {
  if (principal.counties === null) return true;
  return broadcast.counties !== null && broadcast.counties.every((county) => allowsCounty(principal, county));
}

/** The broadcast, if this key may see it (else `not_found`, the answer for an unknown one). */
export async function visibleBroadcast(sql: Sql, principal: Principal, broadcastId: number): Promise<Broadcast> {
  const broadcast = await findBroadcast(sql, broadcastId);
  if (!broadcast || !visibleTo(principal, broadcast)) throw notFound(broadcastId);
  return broadcast;
}

export async function createDraft(
  deps: BroadcastServiceDeps,
  principal: Principal,
  input: CreateBroadcastInput,
): Promise<Broadcast> {
  if (!isBroadcastMessage(input.messageKey)) {
    throw new BroadcastRefused(
      400,
      'invalid_request',
      `messageKey: one of ${Object.keys(BROADCAST_MESSAGES).join(', ')} (catalog messages worded in every language)`,
    );
  }
  const outside = statusesOutsideMessage(input.messageKey, input.statuses);
  if (outside.length > 0) {
    throw new BroadcastRefused(
      400,
      'invalid_request',
      `statuses: ${input.messageKey} may go only to ballots ${BROADCAST_MESSAGES[input.messageKey].join(', ')} (not ${outside.join(', ')})`,
    );
  }
  const foreign = (input.counties ?? []).filter((county) => !allowsCounty(principal, county));
  if (foreign.length > 0) {
    throw new BroadcastRefused(403, 'county_forbidden', `This key does not cover county ${foreign.join(', ')}.`);
  }
  if (!(await findElectionSettings(deps.sql, input.electionId))) {
    throw new BroadcastRefused(404, 'not_found', `No election ${input.electionId}.`);
  }
  const counties = input.counties
    ? [...new Set(input.counties)].sort()
    : principal.counties
      ? [...principal.counties]
      : null;
  return createBroadcast(deps.sql, {
    electionId: input.electionId,
    counties,
    statuses: [...new Set(input.statuses)],
    messageKey: input.messageKey,
    note: input.note,
    createdBy: principal.keyId,
  });
}

export function listVisible(sql: Sql, principal: Principal, electionId?: string): Promise<Broadcast[]> {
  return listBroadcasts(sql, { electionId, counties: principal.counties });
}

/** Who a broadcast reaches, per channel and language. */
export interface AudienceLine {
  channel: AudienceGroup['channel'];
  language: string;
  ballots: number;
  voters: number;
  contacts: number;
}

/**
 * The audience summed per channel and language; `more` starts a line's extra fields and `add` adds a
 * group to them (the dry run's window counts).
 */
function byChannelAndLanguage<L extends AudienceLine = AudienceLine>(
  groups: AudienceGroup[],
  more: () => Omit<L, keyof AudienceLine> = () => ({}) as Omit<L, keyof AudienceLine>,
  add: (line: L, group: AudienceGroup) => void = () => undefined,
): L[] {
  const lines = new Map<string, L>();
  for (const group of groups) {
    const key = `${group.channel}|${group.language}`;
    const line =
      lines.get(key) ??
      ({ channel: group.channel, language: group.language, ballots: 0, voters: 0, contacts: 0, ...more() } as L);
    line.ballots += group.ballots;
    line.voters += group.voters;
    line.contacts += group.contacts;
    add(line, group);
    lines.set(key, line);
  }
  return [...lines.values()];
}

/** The message as one county's voters in one language would get it, on the channels they chose. */
export interface RenderedBroadcast {
  county: string;
  language: string;
  /** False: the county has no name, phone and URL (and no fallback): its notices would pause. */
  countyConfigured: boolean;
  sms?: string;
  email?: { subject: string; text: string };
  voice?: string;
}

export interface BroadcastPreview {
  broadcastId: number;
  messageKey: string;
  /** Selected ballots (of the election, counties and statuses, with a subscribed voter). */
  ballots: number;
  audience: AudienceLine[];
  messages: RenderedBroadcast[];
}

export async function preview(
  deps: BroadcastServiceDeps,
  principal: Principal,
  broadcastId: number,
): Promise<BroadcastPreview> {
  const broadcast = await visibleBroadcast(deps.sql, principal, broadcastId);
  const [ballots, groups, settings] = await Promise.all([
    countSelection(deps.sql, broadcast),
    selectionAudience(deps.sql, broadcast),
    findElectionSettings(deps.sql, broadcast.electionId),
  ]);
  const pairs = new Map<string, { county: string; language: string; channels: Set<string> }>();
  for (const group of groups) {
    const key = `${group.county}|${group.language}`;
    const pair = pairs.get(key) ?? { county: group.county, language: group.language, channels: new Set<string>() };
    pair.channels.add(group.channel);
    pairs.set(key, pair);
  }
  const messages: RenderedBroadcast[] = [];
  for (const pair of pairs.values()) {
    const row = await countyDetailsRow(deps.sql, pair.county);
    const county = resolveCountyDetails(row, deps.countyFallback);
    const rendered: RenderedBroadcast = { county: pair.county, language: pair.language, countyConfigured: !!county };
    if (county) {
      const language = resolveLanguage(pair.language).language;
      const vars = {
        countyName: county.name,
        countyPhone: county.phone,
        countyUrl: county.url,
        electionDay: settings?.electionDay ?? '',
      };
      const key = broadcast.messageKey as BroadcastMessageKey;
      if (pair.channels.has('sms')) rendered.sms = renderSms(key, language, vars).text;
      if (pair.channels.has('email')) {
        const email = renderEmail(key, language, { ...vars, manageUrl: "(the voter's manage link)" });
        rendered.email = { subject: email.subject, text: email.text };
      }
      if (pair.channels.has('voice')) rendered.voice = renderVoice(key, language, vars).text;
    }
    messages.push(rendered);
  }
  return { broadcastId, messageKey: broadcast.messageKey, ballots, audience: byChannelAndLanguage(groups), messages };
}

/** What a run would send now: per channel and language, contacts inside their window now and later. */
export interface DryRunLine extends AudienceLine {
  /** Contacts whose window is open now: their notice would go out at once. */
  inWindowNow: number;
  /** Contacts whose window is closed: their notice would wait for it. */
  waitingForWindow: number;
  /** When the first closed window opens (ISO), if any is closed. */
  firstWindowOpensAt?: string;
}

export interface DryRun {
  broadcastId: number;
  dryRun: true;
  at: string;
  /** Ballots the run would signal. */
  ballots: number;
  sends: DryRunLine[];
  /** Nothing was signalled and nothing was sent. */
  signalled: 0;
  sent: 0;
}

/** The run, computed and not performed: nothing is signalled, nothing is sent; the draft notes it. */
export async function dryRun(
  deps: BroadcastServiceDeps,
  principal: Principal,
  broadcastId: number,
  now = Date.now(),
): Promise<DryRun> {
  const broadcast = await visibleBroadcast(deps.sql, principal, broadcastId);
  const [ballots, groups] = await Promise.all([
    countSelection(deps.sql, broadcast),
    selectionAudience(deps.sql, broadcast),
  ]);
  const sends = byChannelAndLanguage<DryRunLine>(
    groups,
    () => ({ inWindowNow: 0, waitingForWindow: 0 }),
    (line, group) => {
      const opens = nextAllowedInstant(now, { start: group.windowStart, end: group.windowEnd }, group.timeZone);
      if (opens <= now) line.inWindowNow += group.contacts;
      else {
        line.waitingForWindow += group.contacts;
        const first = line.firstWindowOpensAt ? Date.parse(line.firstWindowOpensAt) : Infinity;
        if (opens < first) line.firstWindowOpensAt = new Date(opens).toISOString();
      }
    },
  );
  await noteDryRun(deps.sql, broadcastId);
  return {
    broadcastId,
    dryRun: true,
    at: new Date(now).toISOString(),
    ballots,
    sends,
    signalled: 0,
    sent: 0,
  };
}

export async function approve(deps: BroadcastServiceDeps, principal: Principal, broadcastId: number) {
  const broadcast = await visibleBroadcast(deps.sql, principal, broadcastId);
  if (broadcast.createdBy === principal.keyId) {
    throw new BroadcastRefused(
      403,
      'second_key_required',
      'A broadcast is approved by a different key from the one that created it.',
    );
  }
  if (broadcast.state !== 'draft') {
    throw new BroadcastRefused(409, 'conflict', `Broadcast ${broadcastId} is ${broadcast.state}, not a draft.`);
  }
  const approved = await approveBroadcast(deps.sql, broadcastId, principal.keyId);
  if (!approved) throw new BroadcastRefused(409, 'conflict', `Broadcast ${broadcastId} is no longer a draft.`);
  return approved;
}

/**
 * Starts an approved broadcast: it becomes `running` (expiring when polls close on Election Day: the
 * messages a broadcast may carry are about returning the ballot), and its run workflow starts. Asked
 * again while running, it makes sure the run workflow is there (a re-run after a failed start or a
 * failed run resumes: every ballot still hears it once).
 */
export async function start(deps: BroadcastServiceDeps, principal: Principal, broadcastId: number, now = Date.now()) {
  let broadcast = await visibleBroadcast(deps.sql, principal, broadcastId);
  if (!deps.temporal) throw new BroadcastRefused(503, 'unavailable', 'Broadcasts cannot be started from here.');
  if (broadcast.state === 'approved') {
    const settings = await findElectionSettings(deps.sql, broadcast.electionId);
    const expiresAt = settings ? zonedTimeToInstant(settings.electionDay, POLLS_CLOSE, settings.timezone) : null;
    if (expiresAt !== null && expiresAt <= now) {
      throw new BroadcastRefused(409, 'expired', 'Polls have closed: this message no longer makes sense.');
    }
    const running = await markBroadcastRunning(deps.sql, broadcastId, {
      keyId: principal.keyId,
      expiresAt: expiresAt === null ? null : new Date(expiresAt),
    });
    if (!running) throw new BroadcastRefused(409, 'conflict', `Broadcast ${broadcastId} is no longer approved.`);
    broadcast = running;
  } else if (broadcast.state !== 'running') {
    const why = broadcast.state === 'draft' ? 'a draft: it needs approval by a second key first' : broadcast.state;
    throw new BroadcastRefused(409, 'conflict', `Broadcast ${broadcastId} is ${why}.`);
  }
  await deps.temporal.client.workflow.start(broadcastWorkflow, {
    taskQueue: deps.temporal.taskQueue,
    workflowId: broadcastWorkflowId(broadcastId),
    args: [{ broadcastId }],
    staticSummary: `Broadcast ${broadcastId} (${broadcast.messageKey}) in election ${broadcast.electionId}`,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
  });
  return broadcast;
}

/**
 * Stops a broadcast at once: committed in PostgreSQL first (the run signals no further ballot and
 * the sender skips every notice not yet sent, `broadcast_stopped`), then the run is cancelled.
 */
export async function stop(deps: BroadcastServiceDeps, principal: Principal, broadcastId: number) {
  const broadcast = await visibleBroadcast(deps.sql, principal, broadcastId);
  const stopped = await markBroadcastStopped(deps.sql, broadcastId, principal.keyId);
  if (!stopped) throw new BroadcastRefused(409, 'conflict', `Broadcast ${broadcastId} is already ${broadcast.state}.`);
  if (deps.temporal && broadcast.state === 'running') {
    await deps.temporal.client.workflow
      .getHandle(broadcastWorkflowId(broadcastId))
      .signal(stopBroadcastSignal)
      // A run that already ended (or Temporal unreachable): PostgreSQL holds the stop, and the run's
      // partitions read it before their next signal.
      .catch(() => undefined);
  }
  return stopped;
}

export async function status(
  deps: BroadcastServiceDeps,
  principal: Principal,
  broadcastId: number,
): Promise<{ broadcast: Broadcast; progress: BroadcastProgress }> {
  const broadcast = await visibleBroadcast(deps.sql, principal, broadcastId);
  return { broadcast, progress: await broadcastProgress(deps.sql, broadcast) };
}
