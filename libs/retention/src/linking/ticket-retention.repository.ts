import { Injectable } from '@nestjs/common';
import { affected, rows } from '@keepdesk/core';
import { EntityManager } from 'typeorm';

export interface TicketRetentionInput {
  ticketId: string;
  customerId: string;
  createdAt: Date;
  solvedAt: Date | null;
  firstResponseAt: Date | null;
  assigneeId: string | null;
  teamId: string | null;
  channel: string;
  priority: string;
  tags: string[];
}

/**
 * ticket_retention: one row per ticket with its anchor (solved_at, else created_at) and the first
 * order after it. Kept exact by two writers: the ticket hook (anchor moves → recompute from orders)
 * and order ingestion (a new order can only make next_order_at earlier).
 */
@Injectable()
export class TicketRetentionRepository {
  /**
   * Upsert from the ticket's current state, inside the ticket's transaction. next_order_at is
   * recomputed only when the anchor or customer changed (one index probe on orders).
   */
  async upsert(m: EntityManager, t: TicketRetentionInput): Promise<void> {
    await this.upsertMany(m, [t]);
  }

  /** upsert() for many tickets in one statement (batched ticket creation); ticket ids must be distinct. */
  async upsertMany(m: EntityManager, list: TicketRetentionInput[]): Promise<void> {
    if (!list.length) return;
    const input = list.map((t) => ({
      ticket_id: t.ticketId,
      customer_id: t.customerId,
      anchor_at: (t.solvedAt ?? t.createdAt).toISOString(),
      solved: t.solvedAt !== null,
      agent_id: t.assigneeId,
      team_id: t.teamId,
      channel: t.channel,
      priority: t.priority,
      tags: t.tags,
      first_response_minutes: t.firstResponseAt ? Math.max(0, (t.firstResponseAt.getTime() - t.createdAt.getTime()) / 60000) : null,
    }));
    await rows(
      m,
      `INSERT INTO ticket_retention AS tr
         (ticket_id, customer_id, anchor_at, solved, next_order_at, agent_id, team_id, channel, priority, tags, first_response_minutes)
       SELECT i.ticket_id, i.customer_id, i.anchor_at, i.solved,
              (SELECT min(placed_at) FROM orders o WHERE o.customer_id = i.customer_id AND o.placed_at > i.anchor_at),
              i.agent_id, i.team_id, i.channel, i.priority, i.tags, i.first_response_minutes
       FROM jsonb_to_recordset($1::jsonb) AS i(ticket_id uuid, customer_id uuid, anchor_at timestamptz, solved boolean, agent_id uuid,
              team_id uuid, channel text, priority text, tags text[], first_response_minutes double precision)
       ORDER BY i.ticket_id
       ON CONFLICT (ticket_id) DO UPDATE SET
         customer_id = EXCLUDED.customer_id,
         anchor_at = EXCLUDED.anchor_at,
         solved = EXCLUDED.solved,
         next_order_at = CASE WHEN tr.anchor_at = EXCLUDED.anchor_at AND tr.customer_id = EXCLUDED.customer_id
                              THEN tr.next_order_at ELSE EXCLUDED.next_order_at END,
         agent_id = EXCLUDED.agent_id,
         team_id = EXCLUDED.team_id,
         channel = EXCLUDED.channel,
         priority = EXCLUDED.priority,
         tags = EXCLUDED.tags,
         first_response_minutes = EXCLUDED.first_response_minutes,
         updated_at = now()`,
      [JSON.stringify(input)],
    );
  }

  /**
   * New orders can only move a ticket's first later order earlier: for each affected ticket take
   * the earliest new order after its anchor and keep it if it beats the stored one. Re-checked
   * under the row lock, so it composes with a concurrent anchor change.
   */
  async linkOrders(m: EntityManager, orders: { customer_id: string; placed_at: Date | string }[]): Promise<number> {
    if (!orders.length) return 0;
    return affected(
      m,
      `UPDATE ticket_retention tr SET next_order_at = x.placed_at, updated_at = now()
       FROM (
         SELECT t.ticket_id, min(o.placed_at) AS placed_at
         FROM unnest($1::uuid[], $2::timestamptz[]) AS o(customer_id, placed_at)
         JOIN ticket_retention t ON t.customer_id = o.customer_id AND o.placed_at > t.anchor_at
         GROUP BY t.ticket_id
       ) x
       WHERE tr.ticket_id = x.ticket_id
         AND x.placed_at > tr.anchor_at
         AND (tr.next_order_at IS NULL OR tr.next_order_at > x.placed_at)`,
      [orders.map((o) => o.customer_id), orders.map((o) => new Date(o.placed_at).toISOString())],
    );
  }

  /**
   * Bulk imports queue the customers whose orders they inserted, in the import's transaction, and
   * link later, set-wise (drainLinkQueue): a ticket is rewritten once per import instead of once
   * per order that moves it. DO UPDATE, not DO NOTHING: it locks the queue row until the orders
   * commit, so a drain running meanwhile skips that customer (SKIP LOCKED) rather than relinking
   * without the orders and deleting the entry. Sorted, so two imports lock in the same order.
   */
  async enqueueLinks(m: EntityManager, customerIds: string[]): Promise<void> {
    if (!customerIds.length) return;
    await m.query(
      `INSERT INTO retention_link_queue (customer_id)
       SELECT DISTINCT c FROM unnest($1::uuid[]) AS c ORDER BY c
       ON CONFLICT (customer_id) DO UPDATE SET queued_at = now()`,
      [customerIds],
    );
  }

  /**
   * Relinks up to `limit` queued customers in one statement: each of their tickets' next_order_at
   * becomes the first order after its anchor. Rows whose anchor or customer moved since the
   * statement's snapshot are left alone (the ticket hook recomputed them under the row lock).
   * Returns how many customers were taken; call in its own transaction until it returns 0.
   */
  async drainLinks(tx: EntityManager, limit: number): Promise<number> {
    const taken = await rows<{ customer_id: string }>(
      tx,
      `DELETE FROM retention_link_queue WHERE customer_id IN (
         SELECT customer_id FROM retention_link_queue ORDER BY customer_id LIMIT $1 FOR UPDATE SKIP LOCKED
       ) RETURNING customer_id`,
      [limit],
    );
    if (!taken.length) return 0;
    await tx.query(
      `UPDATE ticket_retention tr SET next_order_at = x.next_order_at, updated_at = now()
       FROM (
         SELECT t.ticket_id, t.customer_id, t.anchor_at,
                (SELECT min(o.placed_at) FROM orders o WHERE o.customer_id = t.customer_id AND o.placed_at > t.anchor_at) AS next_order_at
         FROM ticket_retention t
         WHERE t.customer_id = ANY($1::uuid[])
       ) x
       WHERE tr.ticket_id = x.ticket_id AND tr.customer_id = x.customer_id AND tr.anchor_at = x.anchor_at
         AND tr.next_order_at IS DISTINCT FROM x.next_order_at`,
      [taken.map((t) => t.customer_id)],
    );
    return taken.length;
  }

  /**
   * Rows for every ticket that has none (tickets written without the hook: the seed, imports of
   * history, installs that predate retention). Idempotent.
   */
  async backfill(m: Pick<EntityManager, 'query'>): Promise<number> {
    return affected(
      m,
      `INSERT INTO ticket_retention
         (ticket_id, customer_id, anchor_at, solved, next_order_at, agent_id, team_id, channel, priority, tags, first_response_minutes)
       SELECT t.id, t.customer_id, COALESCE(t.solved_at, t.created_at), t.solved_at IS NOT NULL,
              (SELECT min(o.placed_at) FROM orders o WHERE o.customer_id = t.customer_id AND o.placed_at > COALESCE(t.solved_at, t.created_at)),
              t.assignee_id, t.team_id, t.channel, t.priority, t.tags,
              CASE WHEN t.first_response_at IS NULL THEN NULL ELSE GREATEST(0, extract(epoch FROM t.first_response_at - t.created_at) / 60) END
       FROM tickets t
       WHERE NOT EXISTS (SELECT 1 FROM ticket_retention tr WHERE tr.ticket_id = t.id)
       ON CONFLICT (ticket_id) DO NOTHING`,
    );
  }

  /** Later repurchases of tickets (for GET /api/tickets/:id): orders after the anchor within maxDays. */
  async repurchasesOf(m: EntityManager, ticketIds: string[], maxDays: number) {
    return rows<{ ticket_id: string; id: string; external_id: string; placed_at: Date; total: string; currency: string; days_after: number }>(
      m,
      `SELECT tr.ticket_id, o.id, o.external_id, o.placed_at, o.total, o.currency,
              extract(epoch FROM o.placed_at - tr.anchor_at) / 86400 AS days_after
       FROM ticket_retention tr
       JOIN orders o ON o.customer_id = tr.customer_id AND o.placed_at > tr.anchor_at
                    AND o.placed_at <= tr.anchor_at + make_interval(days => $2)
       WHERE tr.ticket_id = ANY($1::uuid[])
       ORDER BY tr.ticket_id, o.placed_at`,
      [ticketIds, maxDays],
    );
  }
}
