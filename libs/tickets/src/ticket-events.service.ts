import { Injectable, Logger } from '@nestjs/common';
import { EventFeed, FeedEvent, Metrics, rows } from '@keepdesk/core';
import { EntityManager } from 'typeorm';

export interface NewTicketEvent {
  ticketId: string | null;
  type: string;
  actorType: 'user' | 'api_key' | 'customer' | 'system';
  actorId?: string | null;
  data?: Record<string, unknown>;
  /** Routing: the ticket's team and assignee when the event happened. */
  teamId: string | null;
  assigneeId: string | null;
}

/**
 * The durable event log (ticket_events): every change is written here inside its transaction,
 * and published to the live feed only after commit. Any domain writes its events through this.
 */
@Injectable()
export class TicketEventsService {
  private readonly logger = new Logger(TicketEventsService.name);

  constructor(
    private readonly feed: EventFeed,
    private readonly metrics: Metrics,
  ) {}

  /** One INSERT for any number of events; returns them as feed events, in id order. */
  async appendIn(tx: EntityManager, events: NewTicketEvent[]): Promise<FeedEvent[]> {
    if (!events.length) return [];
    const params: unknown[] = [];
    const values = events.map((e) => {
      params.push(e.ticketId, e.type, e.actorType, e.actorId ?? null, JSON.stringify(e.data ?? {}), e.teamId, e.assigneeId);
      const i = params.length - 7;
      return `($${i + 1}::uuid, $${i + 2}, $${i + 3}, $${i + 4}::uuid, $${i + 5}::jsonb, $${i + 6}::uuid, $${i + 7}::uuid)`;
    });
    const inserted = await rows<{ id: string; ticket_id: string | null; type: string; data: Record<string, unknown>; team_id: string | null; assignee_id: string | null; created_at: Date }>(
      tx,
      `INSERT INTO ticket_events (ticket_id, type, actor_type, actor_id, data, team_id, assignee_id)
       VALUES ${values.join(', ')}
       RETURNING id, ticket_id, type, data, team_id, assignee_id, created_at`,
      params,
    );
    for (const e of events) this.metrics.events.inc({ type: e.type });
    return inserted
      .map((r) => ({
        id: String(r.id),
        type: r.type,
        ticketId: r.ticket_id,
        at: new Date(r.created_at).toISOString(),
        data: r.data,
        teamId: r.team_id,
        assigneeId: r.assignee_id,
      }))
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  /** Call after commit. A failed publish is logged: the event is durable and replay finds it. */
  async publish(events: FeedEvent[]): Promise<void> {
    if (!events.length) return;
    try {
      await this.feed.publish(events);
    } catch (e) {
      this.logger.warn(`publishing ${events.length} event(s) failed: ${(e as Error).message}`);
    }
  }

  /** For code outside a ticket transaction (worker jobs): its own transaction, then publish. */
  async record(m: EntityManager, events: NewTicketEvent[]): Promise<FeedEvent[]> {
    const written = await m.transaction((tx) => this.appendIn(tx, events));
    await this.publish(written);
    return written;
  }
}
