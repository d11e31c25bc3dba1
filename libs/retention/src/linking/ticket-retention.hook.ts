import { Injectable, OnModuleInit } from '@nestjs/common';
import { TicketChange, TicketHook, TicketHooks, TicketSnapshot, TicketViews, TicketViewExtension } from '@keepdesk/tickets';
import { EntityManager } from 'typeorm';
import { TicketRetentionRepository } from './ticket-retention.repository';

/** Longest attribution window a ticket's `repurchases` list shows. */
export const REPURCHASE_LIST_DAYS = 90;

/**
 * Keeps ticket_retention in step with tickets, inside the ticket's own transaction: a ticket is
 * never visible without its retention row, and a solve moves the anchor atomically with it.
 */
@Injectable()
export class TicketRetentionHook implements TicketHook, TicketViewExtension, OnModuleInit {
  readonly name = 'retention';
  readonly field = 'repurchases' as const;
  readonly detailOnly = true;
  readonly empty: unknown = [];

  constructor(
    private readonly hooks: TicketHooks,
    private readonly views: TicketViews,
    private readonly repo: TicketRetentionRepository,
  ) {}

  onModuleInit(): void {
    this.hooks.register(this);
    this.views.register(this);
  }

  async onTicketChange(tx: EntityManager, change: TicketChange): Promise<void> {
    await this.onTicketChanges(tx, [change]);
  }

  async onTicketChanges(tx: EntityManager, changes: TicketChange[]): Promise<void> {
    // Messages that change nothing we group by (e.g. a note) cost no write.
    const owed = changes.filter((c) => c.kind === 'created' || movesRetention(c.previous, c.ticket)).map((c) => c.ticket);
    // The last state of each ticket, should one transaction carry several changes of it.
    const last = new Map(owed.map((t) => [t.id, t]));
    await this.repo.upsertMany(
      tx,
      [...last.values()].map((t) => ({
        ticketId: t.id,
        customerId: t.customerId,
        createdAt: new Date(t.createdAt),
        solvedAt: t.solvedAt ? new Date(t.solvedAt) : null,
        firstResponseAt: t.firstResponseAt ? new Date(t.firstResponseAt) : null,
        assigneeId: t.assigneeId,
        teamId: t.teamId,
        channel: t.channel,
        priority: t.priority,
        tags: t.tags ?? [],
      })),
    );
  }

  /** `repurchases` on GET /api/tickets/:id: orders after the anchor within 90 days. */
  async load(m: EntityManager, ticketIds: string[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown[]>();
    for (const r of await this.repo.repurchasesOf(m, ticketIds, REPURCHASE_LIST_DAYS)) {
      let list = out.get(r.ticket_id);
      if (!list) out.set(r.ticket_id, (list = []));
      list.push({
        orderId: r.id,
        externalId: r.external_id,
        placedAt: new Date(r.placed_at).toISOString(),
        total: Number(r.total),
        currency: r.currency,
        daysAfter: Math.round(Number(r.days_after) * 100) / 100,
      });
    }
    return out as Map<string, unknown>;
  }
}

function time(d: Date | string | null | undefined): number | null {
  return d ? new Date(d).getTime() : null;
}

/** Whether a change touches what retention groups by or anchors on. */
function movesRetention(p: TicketSnapshot, t: TicketSnapshot): boolean {
  return !(
    p.status === t.status &&
    time(p.solvedAt) === time(t.solvedAt) &&
    time(p.firstResponseAt) === time(t.firstResponseAt) &&
    p.assigneeId === t.assigneeId &&
    p.teamId === t.teamId &&
    p.priority === t.priority &&
    p.channel === t.channel &&
    p.customerId === t.customerId &&
    p.tags.join('\u0000') === t.tags.join('\u0000')
  );
}
