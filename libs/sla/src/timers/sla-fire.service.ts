import { Injectable, Logger } from '@nestjs/common';
import { FeedEvent, inTransaction, Metrics } from '@keepdesk/core';
import { NewTicketEvent, TicketChange, TicketEventsService, TicketHooks, TicketPriority, TicketsRepository, TICKET_PRIORITIES } from '@keepdesk/tickets';
import { DataSource, EntityManager } from 'typeorm';
import { SlaPolicyRepository } from '../policies/sla-policy.repository';
import { SlaNotifications } from '../sla-notifications';
import { SlaEscalation } from '../sla.entities';
import { breachData, slaEvent } from './sla-engine.service';
import { FiredTimer, SlaTimerRepository } from './sla-timer.repository';

export type FireKind = 'warning' | 'breach';
export type FireOutcome = { result: 'fired'; latenessMs: number } | { result: 'stale' } | { result: 'early'; waitMs: number };

/**
 * Fires one warning or breach. Idempotent: the conditional UPDATE on (id, version, state) lets exactly
 * one transaction through, whoever calls (the job, its retry, a second worker, the reconciler).
 * The inbox event, the outbound notification and any escalation commit in that same transaction.
 */
@Injectable()
export class SlaFireService {
  private readonly logger = new Logger(SlaFireService.name);
  private readonly fired;

  constructor(
    private readonly db: DataSource,
    private readonly timers: SlaTimerRepository,
    private readonly policies: SlaPolicyRepository,
    private readonly events: TicketEventsService,
    private readonly notifications: SlaNotifications,
    private readonly tickets: TicketsRepository,
    private readonly hooks: TicketHooks,
    metrics: Metrics,
  ) {
    this.fired = metrics.counter('keepdesk_sla_fired_total', 'SLA warnings and breaches fired', ['kind']);
  }

  async fire(timerId: string, version: number, kind: FireKind): Promise<FireOutcome> {
    const now = new Date();
    const changes: TicketChange[] = [];
    const out = await inTransaction(this.db, async (tx, afterCommit) => {
      const fired = kind === 'breach' ? await this.breach(tx, timerId, version, now) : await this.timers.markWarned(tx, timerId, version, now);
      if (!fired) return null;
      const event = slaEvent(kind === 'breach' ? 'sla.breached' : 'sla.warning', fired, kind === 'breach' ? breachData(fired) : { ...breachData(fired), warnAt: fired.warnAt?.toISOString() ?? null, breachedAt: undefined });
      await this.notifications.enqueue(tx, event, afterCommit);
      const extra: NewTicketEvent[] = [];
      if (kind === 'breach' && fired.policyId) {
        const policy = await this.policies.byId(tx, fired.policyId);
        if (policy?.escalation) {
          const change = await this.escalate(tx, fired, policy.escalation, now, extra);
          if (change) changes.push(change);
        }
      }
      const written = await this.events.appendIn(tx, [event, ...extra]);
      return { fired, written };
    });
    if (!out) return this.whyNot(timerId, version, kind, now);
    await this.events.publish(out.written as FeedEvent[]);
    for (const c of changes) await this.hooks.runAfterCommit(c);
    this.fired.inc({ kind });
    const due = kind === 'breach' ? out.fired.dueAt : (out.fired.warnAt ?? out.fired.dueAt);
    return { result: 'fired', latenessMs: now.getTime() - due.getTime() };
  }

  private async breach(tx: EntityManager, timerId: string, version: number, now: Date): Promise<FiredTimer | undefined> {
    // Ticket row first, as a ticket change does: an escalation then writes the ticket without deadlock.
    if (!(await this.timers.lockTicketOfLiveTimer(tx, timerId, version))) return undefined;
    return this.timers.markBreached(tx, timerId, version, now);
  }

  /** Nothing fired: the job is stale (normal) or came early (clock skew between hosts). */
  private async whyNot(timerId: string, version: number, kind: FireKind, now: Date): Promise<FireOutcome> {
    const t = await this.timers.byId(this.db.manager, timerId);
    if (!t || t.state !== 'active' || t.version !== version) return { result: 'stale' };
    const at = kind === 'breach' ? t.dueAt : t.warnedAt ? null : t.warnAt;
    if (at && at.getTime() > now.getTime()) return { result: 'early', waitMs: at.getTime() - now.getTime() };
    return { result: 'stale' };
  }

  /** Raises the priority and/or moves the team, as a ticket change (hooks recompute the other timers). */
  private async escalate(tx: EntityManager, fired: FiredTimer, esc: SlaEscalation, at: Date, events: NewTicketEvent[]): Promise<TicketChange | null> {
    const before = await this.tickets.findForUpdate(tx, fired.ticketId);
    if (!before || before.status === 'solved' || before.status === 'closed') return null;
    const set: { priority?: TicketPriority; teamId?: string } = {};
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    if (esc.raisePriority) {
      const rank = TICKET_PRIORITIES.indexOf(before.priority);
      const target = esc.raisePriority === 'one_step' ? TICKET_PRIORITIES[Math.min(rank + 1, TICKET_PRIORITIES.length - 1)] : esc.raisePriority;
      if (TICKET_PRIORITIES.indexOf(target) > rank) {
        set.priority = target;
        changes.priority = { from: before.priority, to: target };
      }
    }
    if (esc.moveToTeamId && esc.moveToTeamId !== before.teamId) {
      set.teamId = esc.moveToTeamId;
      changes.teamId = { from: before.teamId, to: esc.moveToTeamId };
    }
    if (!Object.keys(changes).length) return null;
    const ticket = await this.tickets.update(tx, fired.ticketId, set);
    const change: TicketChange = { kind: 'updated', ticket, previous: before, at };
    await this.hooks.run(tx, change);
    events.push({ ticketId: ticket.id, type: 'ticket.updated', actorType: 'system', actorId: null, data: { changes, reason: 'sla_escalation', timerId: fired.id }, teamId: ticket.teamId, assigneeId: ticket.assigneeId });
    this.logger.log(`escalated ticket ${ticket.id} after ${fired.target} breach`);
    return change;
  }
}
