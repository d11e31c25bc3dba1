import { Injectable, Logger } from '@nestjs/common';
import { FeedEvent, inTransaction, Metrics } from '@keepdesk/core';
import { NewTicketEvent, TicketChange, TicketEventsService, TicketHooks, TicketPriority, TicketsRepository, TICKET_PRIORITIES } from '@keepdesk/tickets';
import { DataSource, EntityManager } from 'typeorm';
import { SlaNotifications } from '../sla-notifications';
import { SlaEscalation } from '../sla.entities';
import { breachData, slaEvent } from './sla-engine.service';
import { FiredTimer, SlaTimerRepository } from './sla-timer.repository';

export type FireKind = 'warning' | 'breach';
export type FireOutcome = { result: 'fired'; latenessMs: number } | { result: 'stale' } | { result: 'early'; waitMs: number };

interface Pending {
  timerId: string;
  version: number;
  kind: FireKind;
  resolve(o: FireOutcome): void;
  reject(e: unknown): void;
}

// Fires due at the same moment share one transaction: at thousands of deadlines a second the cost
// is round trips, not rows. A batch closes after MAX_BATCH fires or one event-loop turn.
const MAX_BATCH = 200;
const MAX_FLUSHES_IN_FLIGHT = 4;

/**
 * Fires warnings and breaches. Idempotent: the conditional UPDATE on (id, version, state) lets each
 * fire through once, whoever calls (the job, its retry, a second worker, the reconciler). The inbox
 * event, the outbound notification and any escalation commit in that same transaction.
 */
@Injectable()
export class SlaFireService {
  private readonly logger = new Logger(SlaFireService.name);
  private readonly fired;
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(
    private readonly db: DataSource,
    private readonly timers: SlaTimerRepository,
    private readonly events: TicketEventsService,
    private readonly notifications: SlaNotifications,
    private readonly tickets: TicketsRepository,
    private readonly hooks: TicketHooks,
    metrics: Metrics,
  ) {
    this.fired = metrics.counter('keepdesk_sla_fired_total', 'SLA warnings and breaches fired', ['kind']);
  }

  fire(timerId: string, version: number, kind: FireKind): Promise<FireOutcome> {
    return new Promise<FireOutcome>((resolve, reject) => {
      this.queue.push({ timerId, version, kind, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.queue.length >= MAX_BATCH) this.drain();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.drain();
      });
    }
  }

  private drain(): void {
    while (this.queue.length && this.inFlight < MAX_FLUSHES_IN_FLIGHT) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      void this.flush(batch).finally(() => {
        this.inFlight--;
        if (this.queue.length) this.pump();
      });
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      const outcomes = await this.fireBatch(batch);
      batch.forEach((p, i) => p.resolve(outcomes[i]));
    } catch (e) {
      if (batch.length === 1) {
        batch[0].reject(e);
        return;
      }
      // One bad fire must not hold up the others: retry them one by one.
      this.logger.warn(`SLA fire batch of ${batch.length} failed, retrying singly: ${(e as Error).message}`);
      for (const p of batch) await this.flush([p]);
    }
  }

  private async fireBatch(batch: Pending[]): Promise<FireOutcome[]> {
    const now = new Date();
    const changes: TicketChange[] = [];
    const { firedByKey, written } = await inTransaction(this.db, async (tx, afterCommit) => {
      const breaches = batch.filter((p) => p.kind === 'breach');
      const warnings = batch.filter((p) => p.kind === 'warning');
      const firedB = breaches.length ? await this.timers.markBreached(tx, breaches, now) : [];
      const firedW = warnings.length ? await this.timers.markWarned(tx, warnings, now) : [];
      const events: NewTicketEvent[] = [];
      const firedByKey = new Map<string, FiredTimer>();
      for (const f of firedB) {
        firedByKey.set(`breach.${f.id}.${f.version - 1}`, f);
        events.push(slaEvent('sla.breached', f, breachData(f)));
      }
      for (const f of firedW) {
        firedByKey.set(`warning.${f.id}.${f.version}`, f);
        events.push(slaEvent('sla.warning', f, { ...breachData(f), breachedAt: undefined, warnAt: f.warnAt?.toISOString() ?? null }));
      }
      for (const e of events) await this.notifications.enqueue(tx, e, afterCommit);
      for (const f of firedB) {
        if (!f.escalation) continue;
        const change = await this.escalate(tx, f, f.escalation, now, events);
        if (change) changes.push(change);
      }
      return { firedByKey, written: await this.events.appendIn(tx, events) };
    });
    await this.events.publish(written as FeedEvent[]);
    for (const c of changes) await this.hooks.runAfterCommit(c);
    const outcomes: FireOutcome[] = [];
    for (const p of batch) {
      const f = firedByKey.get(`${p.kind}.${p.timerId}.${p.version}`);
      if (f) {
        firedByKey.delete(`${p.kind}.${p.timerId}.${p.version}`);
        this.fired.inc({ kind: p.kind });
        const due = p.kind === 'breach' ? f.dueAt : (f.warnAt ?? f.dueAt);
        outcomes.push({ result: 'fired', latenessMs: now.getTime() - due.getTime() });
      } else {
        outcomes.push(await this.whyNot(p.timerId, p.version, p.kind, now));
      }
    }
    return outcomes;
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
