import { Injectable, OnModuleInit } from '@nestjs/common';
import { FeedEvent } from '@keepdesk/core';
import { TicketChange, TicketEventsService, TicketHook, TicketHooks, TicketViewExtension, TicketViews } from '@keepdesk/tickets';
import { DataSource, EntityManager } from 'typeorm';
import { SlaEngine } from './sla-engine.service';
import { SlaScheduler } from './sla-scheduler.service';
import { SlaTimerRepository, StoredTimer } from './sla-timer.repository';

const isNewTicket = (c: TicketChange): c is Extract<TicketChange, { kind: 'created' }> => c.kind === 'created' && c.ticket.status === 'new';

/**
 * Keeps a ticket's SLA timers in step with the ticket, inside the ticket's transaction; once it
 * committed, queues the timers' next instants and publishes the breaches the change caused.
 */
@Injectable()
export class SlaTicketHook implements TicketHook, OnModuleInit {
  readonly name = 'sla';
  // The same change object reaches onTicketChange and afterCommit (TicketsService); a WeakMap lets
  // the feed events ride along without outliving the request.
  private readonly pending = new WeakMap<TicketChange, FeedEvent[]>();
  private readonly started = new WeakMap<TicketChange[], StoredTimer[]>();

  constructor(
    private readonly hooks: TicketHooks,
    private readonly engine: SlaEngine,
    private readonly events: TicketEventsService,
    private readonly scheduler: SlaScheduler,
    private readonly timers: SlaTimerRepository,
    private readonly db: DataSource,
  ) {}

  onModuleInit(): void {
    this.hooks.register(this);
  }

  async onTicketChange(tx: EntityManager, change: TicketChange): Promise<void> {
    const events = await this.engine.apply(tx, change);
    if (events.length) this.pending.set(change, await this.events.appendIn(tx, events));
  }

  /**
   * Batched creation: new tickets' timers start in one insert; anything else goes through apply().
   * What was inserted is what commits with the batch, so afterCommitMany queues it without a re-read.
   */
  async onTicketChanges(tx: EntityManager, changes: TicketChange[]): Promise<void> {
    const fresh = changes.filter(isNewTicket);
    if (fresh.length) this.started.set(changes, await this.engine.startForNewTickets(tx, fresh));
    for (const c of changes) if (!isNewTicket(c)) await this.onTicketChange(tx, c);
  }

  async afterCommitMany(changes: TicketChange[]): Promise<void> {
    const started = this.started.get(changes) ?? [];
    for (const c of changes) if (!isNewTicket(c)) await this.afterCommit(c);
    if (started.length) await this.scheduler.scheduleTimers(started);
  }

  async afterCommit(change: TicketChange): Promise<void> {
    const written = this.pending.get(change);
    if (written) await this.events.publish(written);
    // Re-read rather than remember: what committed is what is owed, and the job ids dedupe.
    await this.scheduler.scheduleTimers(await this.timers.live(this.db.manager, change.ticket.id));
  }
}

/** The `sla` field of a ticket: `[{target, dueAt, state, breachedAt?, achievedAt?}]`, one query per page. */
@Injectable()
export class SlaTicketView implements TicketViewExtension, OnModuleInit {
  readonly field = 'sla' as const;
  readonly detailOnly = false;
  readonly empty: unknown[] = [];

  constructor(
    private readonly views: TicketViews,
    private readonly timers: SlaTimerRepository,
  ) {}

  onModuleInit(): void {
    this.views.register(this);
  }

  async load(m: EntityManager, ticketIds: string[]): Promise<Map<string, unknown>> {
    const out = new Map<string, Record<string, unknown>[]>();
    for (const t of await this.timers.forTickets(m, ticketIds)) {
      const item: Record<string, unknown> = { target: t.target, dueAt: t.dueAt?.toISOString() ?? null, state: t.state };
      if (t.breachedAt) item.breachedAt = t.breachedAt.toISOString();
      if (t.achievedAt) item.achievedAt = t.achievedAt.toISOString();
      // A paused clock has no deadline: say how much business time is left instead.
      if (t.state === 'paused') item.remainingMinutes = t.remainingMinutes;
      const list = out.get(t.ticketId) ?? [];
      list.push(item);
      out.set(t.ticketId, list);
    }
    return out;
  }
}
