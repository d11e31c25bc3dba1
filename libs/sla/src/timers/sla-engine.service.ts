import { Injectable } from '@nestjs/common';
import { one } from '@keepdesk/core';
import type { NewTicketEvent, TicketChange, TicketSnapshot } from '@keepdesk/tickets';
import { EntityManager } from 'typeorm';
import {
  achieveTimer,
  type BusinessCalendar,
  pauseTimer,
  recomputeTimer,
  resumeTimer,
  type SlaTarget,
  startTimer,
} from '../business-time';
import { firstMatch } from '../policies/policy-match';
import { BusinessHours, SlaPolicy, SlaPolicyRepository } from '../policies/sla-policy.repository';
import { SlaNotifications } from '../sla-notifications';
import { SlaTimerRepository, StoredTimer } from './sla-timer.repository';

const PAUSED_STATUSES = new Set(['pending', 'on_hold']);
const DONE_STATUSES = new Set(['solved', 'closed']);
const MATCHED_FIELDS = ['priority', 'channel', 'teamId'] as const;

function minutesFor(p: SlaPolicy, target: SlaTarget): number | null {
  if (target === 'first_response') return p.targets.firstResponseMinutes;
  if (target === 'next_response') return p.targets.nextResponseMinutes;
  return p.targets.resolutionMinutes;
}

function sameTags(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');
}

/** Routing of an SLA event: the ticket's team and assignee at the time it fired. */
export function slaEvent(type: 'sla.warning' | 'sla.breached', t: { ticketId: string; teamId: string | null; assigneeId: string | null }, data: Record<string, unknown>): NewTicketEvent {
  return { ticketId: t.ticketId, type, actorType: 'system', actorId: null, data, teamId: t.teamId, assigneeId: t.assigneeId };
}

export function breachData(t: { id: string; target: string; dueAt: Date | null; breachedAt: Date | null; policyId: string | null }): Record<string, unknown> {
  return { timerId: t.id, target: t.target, dueAt: t.dueAt?.toISOString() ?? null, breachedAt: t.breachedAt?.toISOString() ?? null, policyId: t.policyId };
}

/**
 * Applies a ticket change to its SLA timers, inside the ticket's transaction:
 * - created: the matching policy starts first response and resolution;
 * - a public agent reply achieves first response and any running next response;
 * - each customer message after the first starts next response (unless one is already running);
 * - pending / on_hold pause the clock, leaving them resumes it; the first solve achieves resolution
 *   (and any reply timer still running: solving answers the customer too);
 * - a priority, channel, team or tag change re-matches the policy and recomputes running timers.
 * Returns the breaches that these transitions made true (a late reply, a pause past the deadline,
 * a tighter target): they are written with the change, and their queued jobs become stale.
 */
@Injectable()
export class SlaEngine {
  constructor(
    private readonly timers: SlaTimerRepository,
    private readonly policies: SlaPolicyRepository,
    private readonly notifications: SlaNotifications,
  ) {}

  async apply(tx: EntityManager, change: TicketChange): Promise<NewTicketEvent[]> {
    const ticket = change.ticket;
    const at = change.at;
    const ctx = new Ctx(tx, ticket);
    if (change.kind === 'created') {
      const policy = firstMatch(await this.policies.list(tx), ticket);
      if (policy) await this.startMissing(ctx, policy, at);
      await this.applyStatus(ctx, null, ticket.status, at);
      return this.finish(ctx);
    }
    ctx.live = await this.timers.lockLive(tx, ticket.id);
    const previous = change.previous;
    if (change.kind === 'message') {
      if (change.message.kind === 'reply') {
        await this.transition(ctx, (t) => t.target === 'first_response' || t.target === 'next_response', (_cal, t) => achieveTimer(t, at));
      } else if (change.message.kind === 'customer' && !ctx.live.some((t) => t.target !== 'resolution')) {
        const count = await one<{ n: string }>(tx, `SELECT count(*) AS n FROM messages WHERE ticket_id = $1 AND kind = 'customer'`, [ticket.id]);
        if (Number(count?.n ?? 0) > 1) {
          const policy = firstMatch(await this.policies.list(tx), ticket);
          if (policy && policy.targets.nextResponseMinutes) await this.start(ctx, policy, 'next_response', change.message.createdAt);
        }
      }
    }
    if (MATCHED_FIELDS.some((f) => previous[f] !== ticket[f]) || !sameTags(previous.tags, ticket.tags)) {
      await this.rematch(ctx, at);
    }
    await this.applyStatus(ctx, previous.status, ticket.status, at);
    return this.finish(ctx);
  }

  /**
   * apply() for many new tickets at once (batched creation): one policy read, one calendar read,
   * one insert. A new ticket has no timers yet, so the matching policy's targets simply start
   * (with the clock stopped for a ticket created waiting on the customer).
   */
  async startForNewTickets(tx: EntityManager, created: { ticket: TicketSnapshot; at: Date }[]): Promise<StoredTimer[]> {
    const policies = await this.policies.list(tx);
    if (!policies.length) return [];
    const matched = created.map((c) => ({ ...c, policy: firstMatch(policies, c.ticket) }));
    const hoursIds = [...new Set(matched.map((m) => m.policy?.businessHoursId).filter((id): id is string => !!id))];
    const calendars = await this.policies.hoursByIds(tx, hoursIds);
    const owed: Omit<StoredTimer, 'id'>[] = [];
    for (const { ticket, at, policy } of matched) {
      if (!policy) continue;
      // A calendar deleted under the policy: count wall time rather than fail the ticket.
      const cal = (policy.businessHoursId && calendars.get(policy.businessHoursId)) || null;
      for (const target of ['first_response', 'resolution'] as const) {
        const minutes = minutesFor(policy, target);
        if (!minutes || (target === 'first_response' ? ticket.firstResponseAt : ticket.solvedAt)) continue;
        let timer = startTimer(cal, target, minutes, policy.warnAtPercent, at);
        if (PAUSED_STATUSES.has(ticket.status)) timer = { ...pauseTimer(cal, timer, at), version: 1 };
        owed.push({ ...timer, ticketId: ticket.id, policyId: policy.id, businessHoursId: policy.businessHoursId });
      }
    }
    return this.timers.insertMany(tx, owed);
  }

  /** Re-matches the ticket's policy (after its priority/team changed, or an escalation). */
  async rematch(ctx: Ctx, at: Date): Promise<void> {
    const policy = firstMatch(await this.policies.list(ctx.tx), ctx.ticket);
    for (const timer of [...ctx.live]) {
      const minutes = policy ? minutesFor(policy, timer.target) : null;
      if (!policy || !minutes) {
        // The target no longer applies to this ticket: nothing is owed, so the timer goes (its jobs find no row).
        await this.timers.remove(ctx.tx, timer.id);
        ctx.live = ctx.live.filter((t) => t.id !== timer.id);
        continue;
      }
      if (timer.policyId === policy.id && timer.targetMinutes === minutes && timer.warnAtPercent === policy.warnAtPercent && timer.businessHoursId === policy.businessHoursId) continue;
      const oldCal = await this.calendar(ctx, timer.businessHoursId);
      const newCal = await this.calendar(ctx, policy.businessHoursId);
      const next = recomputeTimer(newCal, timer, minutes, policy.warnAtPercent, at, oldCal);
      await this.replace(ctx, timer, { ...next, policyId: policy.id, businessHoursId: policy.businessHoursId });
    }
    if (policy) await this.startMissing(ctx, policy, at);
  }

  private async startMissing(ctx: Ctx, policy: SlaPolicy, at: Date): Promise<void> {
    const t = ctx.ticket;
    if (policy.targets.firstResponseMinutes && !t.firstResponseAt && !(await this.timers.hasTarget(ctx.tx, t.id, 'first_response'))) {
      await this.start(ctx, policy, 'first_response', at);
    }
    if (policy.targets.resolutionMinutes && !t.solvedAt && !(await this.timers.hasTarget(ctx.tx, t.id, 'resolution'))) {
      await this.start(ctx, policy, 'resolution', at);
    }
  }

  private async start(ctx: Ctx, policy: SlaPolicy, target: SlaTarget, at: Date): Promise<void> {
    const cal = await this.calendar(ctx, policy.businessHoursId);
    let timer = startTimer(cal, target, minutesFor(policy, target)!, policy.warnAtPercent, at);
    // A timer started on a ticket that is waiting on the customer starts with its clock stopped.
    if (PAUSED_STATUSES.has(ctx.ticket.status)) timer = { ...pauseTimer(cal, timer, at), version: 1 };
    const stored = await this.timers.insert(ctx.tx, { ...timer, ticketId: ctx.ticket.id, policyId: policy.id, businessHoursId: policy.businessHoursId });
    ctx.live.push(stored);
  }

  private async applyStatus(ctx: Ctx, from: string | null, to: string, at: Date): Promise<void> {
    if (from === to) return;
    if (DONE_STATUSES.has(to) && (from === null || !DONE_STATUSES.has(from))) {
      await this.transition(ctx, () => true, (_cal, t) => achieveTimer(t, at));
    } else if (PAUSED_STATUSES.has(to) && (from === null || !PAUSED_STATUSES.has(from))) {
      await this.transition(ctx, (t) => t.state === 'active', (cal, t) => pauseTimer(cal, t, at));
    } else if (!PAUSED_STATUSES.has(to) && from !== null && PAUSED_STATUSES.has(from)) {
      await this.transition(ctx, (t) => t.state === 'paused', (cal, t) => resumeTimer(cal, t, at));
    }
  }

  private async transition(ctx: Ctx, which: (t: StoredTimer) => boolean, fn: (cal: BusinessCalendar | null, t: StoredTimer) => StoredTimer): Promise<void> {
    for (const timer of ctx.live.filter(which)) {
      const next = fn(await this.calendar(ctx, timer.businessHoursId), timer);
      if (next !== timer) await this.replace(ctx, timer, next);
    }
  }

  private async replace(ctx: Ctx, before: StoredTimer, after: StoredTimer): Promise<void> {
    await this.timers.save(ctx.tx, after, before.version);
    if (after.state === 'active' || after.state === 'paused') {
      ctx.live = ctx.live.map((t) => (t.id === after.id ? after : t));
      return;
    }
    ctx.live = ctx.live.filter((t) => t.id !== after.id);
    if (after.state === 'breached') {
      const event = slaEvent('sla.breached', { ticketId: ctx.ticket.id, teamId: ctx.ticket.teamId, assigneeId: ctx.ticket.assigneeId }, breachData(after));
      ctx.events.push(event);
      await this.notifications.enqueue(ctx.tx, event);
    }
  }

  private async calendar(ctx: Ctx, id: string | null): Promise<BusinessCalendar | null> {
    if (!id) return null;
    let cal = ctx.calendars.get(id);
    if (!cal) {
      cal = await this.policies.hoursById(ctx.tx, id);
      // A calendar deleted under a running timer: count wall time rather than fail the ticket change.
      if (!cal) return null;
      ctx.calendars.set(id, cal);
    }
    return cal;
  }

  private finish(ctx: Ctx): NewTicketEvent[] {
    return ctx.events;
  }
}

/** State of one apply(): the ticket, its locked live timers, calendars read, events owed. */
export class Ctx {
  live: StoredTimer[] = [];
  readonly calendars = new Map<string, BusinessHours>();
  readonly events: NewTicketEvent[] = [];
  constructor(
    readonly tx: EntityManager,
    public ticket: TicketSnapshot,
  ) {}
}
