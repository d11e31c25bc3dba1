import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { one, rows } from '@keepdesk/core';
import { EntityManager } from 'typeorm';
import { TicketChannel, TicketPriority, TicketSnapshot, TicketStatus } from './ticket-hooks';

export const TICKET_COLS = `t.id, t.number::text AS number, t.subject, t.status, t.priority, t.channel, t.tags,
  t.customer_id AS "customerId", t.team_id AS "teamId", t.assignee_id AS "assigneeId", t.parent_ticket_id AS "parentTicketId",
  t.created_at AS "createdAt", t.updated_at AS "updatedAt", t.first_response_at AS "firstResponseAt",
  t.solved_at AS "solvedAt", t.closed_at AS "closedAt", t.reopen_count AS "reopenCount"`;

export interface NewTicket {
  subject: string;
  body: string;
  /** Either a known customer, or an email to upsert in the same statement (the hot path). */
  customerId: string | null;
  customerByEmail?: { email: string; name: string | null };
  channel: TicketChannel;
  priority: TicketPriority;
  tags: string[];
  teamId: string | null;
  assigneeId: string | null;
  parentTicketId: string | null;
  authorKind: 'customer' | 'reply' | 'note';
  authorId: string | null;
  emailMessageId: string | null;
  idempotencyKey?: string | null;
}

export interface TicketFilter {
  status?: TicketStatus[];
  assigneeId?: string;
  teamId?: string;
  customerId?: string;
  priority?: TicketPriority;
  channel?: TicketChannel;
  tag?: string;
  q?: string;
  /** Agents: only tickets of these teams or assigned to visibleTo.userId. */
  visibleTo?: { userId: string; teamIds: string[] };
  beforeNumber?: string;
  limit: number;
}

export interface MessageRow {
  id: string;
  ticketId: string;
  kind: 'reply' | 'note' | 'customer';
  authorId: string | null;
  body: string;
  createdAt: Date;
}

/** The only code that reads or writes tickets and messages. */
@Injectable()
export class TicketsRepository {
  /**
   * Tickets and their first messages in one statement, in the order given (numbers follow it);
   * customers given by email are upserted in the same statement, once per address, in address order
   * (so concurrent batches lock customer rows in one order and cannot deadlock), with ON CONFLICT on
   * the email index so concurrent creations still give one customer.
   */
  async insertMany(tx: EntityManager, items: NewTicket[]): Promise<TicketSnapshot[]> {
    const input = items.map((t, ord) => ({
      ord,
      id: randomUUID(),
      subject: t.subject,
      body: t.body,
      customer_id: t.customerId,
      email: t.customerId ? null : (t.customerByEmail?.email ?? null),
      name: t.customerId ? null : (t.customerByEmail?.name ?? null),
      channel: t.channel,
      priority: t.priority,
      tags: t.tags,
      team_id: t.teamId,
      assignee_id: t.assigneeId,
      parent_ticket_id: t.parentTicketId,
      author_kind: t.authorKind,
      author_id: t.authorId,
      email_message_id: t.emailMessageId,
      idempotency_key: t.idempotencyKey ?? null,
    }));
    const inserted = await rows<TicketSnapshot>(
      tx,
      `WITH i AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
           ord int, id uuid, subject text, body text, customer_id uuid, email text, name text, channel text, priority text,
           tags text[], team_id uuid, assignee_id uuid, parent_ticket_id uuid, author_kind text, author_id uuid, email_message_id text,
           idempotency_key text)
       ), c AS (
         INSERT INTO customers (email, name)
         SELECT DISTINCT ON (lower(email)) lower(email), name FROM i WHERE customer_id IS NULL
         ORDER BY lower(email), name IS NULL, ord DESC
         ON CONFLICT (email) DO UPDATE SET name = COALESCE(EXCLUDED.name, customers.name), updated_at = now()
         RETURNING id, email
       ), t AS (
         INSERT INTO tickets (id, subject, status, priority, channel, tags, customer_id, team_id, assignee_id, parent_ticket_id, search, idempotency_key)
         SELECT i.id, i.subject, 'new', i.priority, i.channel, i.tags, COALESCE(i.customer_id, c.id), i.team_id, i.assignee_id,
                i.parent_ticket_id, to_tsvector('simple', left(i.subject || ' ' || i.body, 100000)), i.idempotency_key
         FROM i LEFT JOIN c ON i.customer_id IS NULL AND c.email = lower(i.email)
         ORDER BY i.ord
         RETURNING *
       ), m AS (
         INSERT INTO messages (ticket_id, kind, author_id, body, email_message_id)
         SELECT i.id, i.author_kind, i.author_id, i.body, i.email_message_id FROM i JOIN t ON t.id = i.id
       )
       SELECT ${TICKET_COLS} FROM t`,
      [JSON.stringify(input)],
    );
    const byId = new Map(inserted.map((t) => [t.id, t]));
    return input.map((x) => byId.get(x.id)!);
  }

  findByIdempotencyKey(m: Pick<EntityManager, 'query'>, key: string): Promise<TicketSnapshot | undefined> {
    return one<TicketSnapshot>(m, `SELECT ${TICKET_COLS} FROM tickets t WHERE t.idempotency_key = $1`, [key]);
  }

  findById(m: Pick<EntityManager, 'query'>, id: string): Promise<TicketSnapshot | undefined> {
    return one<TicketSnapshot>(m, `SELECT ${TICKET_COLS} FROM tickets t WHERE t.id = $1`, [id]);
  }

  /** Locks the row for a change: concurrent patches of one ticket are applied one after another. */
  findForUpdate(tx: EntityManager, id: string): Promise<TicketSnapshot | undefined> {
    return one<TicketSnapshot>(tx, `SELECT ${TICKET_COLS} FROM tickets t WHERE t.id = $1 FOR UPDATE`, [id]);
  }

  async update(tx: EntityManager, id: string, set: Partial<Record<'status' | 'priority' | 'teamId' | 'assigneeId' | 'tags' | 'firstResponseAt' | 'solvedAt' | 'closedAt' | 'statusChangedAt' | 'reopenCount', unknown>>): Promise<TicketSnapshot> {
    const cols: Record<string, string> = {
      status: 'status', priority: 'priority', teamId: 'team_id', assigneeId: 'assignee_id', tags: 'tags',
      firstResponseAt: 'first_response_at', solvedAt: 'solved_at', closedAt: 'closed_at', statusChangedAt: 'status_changed_at', reopenCount: 'reopen_count',
    };
    const params: unknown[] = [id];
    const sets = Object.entries(set)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => {
        params.push(v);
        return `${cols[k]} = $${params.length}`;
      });
    return (await one<TicketSnapshot>(tx, `UPDATE tickets t SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE t.id = $1 RETURNING ${TICKET_COLS}`, params))!;
  }

  async insertMessage(tx: EntityManager, msg: { ticketId: string; kind: string; authorId: string | null; body: string; emailMessageId?: string | null }): Promise<MessageRow> {
    return (await one<MessageRow>(
      tx,
      `INSERT INTO messages (ticket_id, kind, author_id, body, email_message_id) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, ticket_id AS "ticketId", kind, author_id AS "authorId", body, created_at AS "createdAt"`,
      [msg.ticketId, msg.kind, msg.authorId, msg.body, msg.emailMessageId ?? null],
    ))!;
  }

  /** Newest first by number; the cursor is the last number seen, so arrivals never shift pages. */
  list(m: Pick<EntityManager, 'query'>, f: TicketFilter): Promise<TicketSnapshot[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.status?.length) add('t.status = ANY(?::text[])', f.status);
    if (f.assigneeId) add('t.assignee_id = ?', f.assigneeId);
    if (f.teamId) add('t.team_id = ?', f.teamId);
    if (f.customerId) add('t.customer_id = ?', f.customerId);
    if (f.priority) add('t.priority = ?', f.priority);
    if (f.channel) add('t.channel = ?', f.channel);
    if (f.tag) add('t.tags @> ARRAY[?]::text[]', f.tag);
    if (f.q) add(`t.search @@ plainto_tsquery('simple', ?)`, f.q);
    if (f.beforeNumber) add('t.number < ?::bigint', f.beforeNumber);
    if (f.visibleTo) {
      params.push(f.visibleTo.teamIds, f.visibleTo.userId);
      where.push(`(t.team_id = ANY($${params.length - 1}::uuid[]) OR t.assignee_id = $${params.length})`);
    }
    params.push(f.limit);
    return rows<TicketSnapshot>(
      m,
      `SELECT ${TICKET_COLS} FROM tickets t ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY t.number DESC LIMIT $${params.length}`,
      params,
    );
  }

  messages(m: Pick<EntityManager, 'query'>, ticketId: string): Promise<MessageRow[]> {
    return rows<MessageRow>(
      m,
      `SELECT id, ticket_id AS "ticketId", kind, author_id AS "authorId", body, created_at AS "createdAt"
       FROM messages WHERE ticket_id = $1 ORDER BY created_at, id`,
      [ticketId],
    );
  }

  events(m: Pick<EntityManager, 'query'>, ticketId: string) {
    return rows(
      m,
      `SELECT id::text AS id, type, actor_type AS "actorType", actor_id AS "actorId", data, created_at AS "at"
       FROM ticket_events e WHERE e.ticket_id = $1 ORDER BY e.id`,
      [ticketId],
    );
  }

  /** Which ticket an inbound mail answers: by In-Reply-To/References, then by "[#number]" in the subject. */
  async findThread(m: Pick<EntityManager, 'query'>, messageIds: string[], subject: string, customerId: string): Promise<string | undefined> {
    if (messageIds.length) {
      const r = await one<{ ticket_id: string }>(
        m,
        `SELECT ticket_id FROM messages WHERE email_message_id = ANY($1::text[]) ORDER BY created_at DESC LIMIT 1`,
        [messageIds],
      );
      if (r) return r.ticket_id;
    }
    const num = /\[#(\d{1,15})\]/.exec(subject)?.[1];
    if (num) {
      const r = await one<{ id: string }>(m, `SELECT id FROM tickets WHERE number = $1::bigint AND customer_id = $2`, [num, customerId]);
      if (r) return r.id;
    }
    return undefined;
  }

  messageExists(m: Pick<EntityManager, 'query'>, emailMessageId: string): Promise<{ ticket_id: string } | undefined> {
    return one(m, `SELECT ticket_id FROM messages WHERE email_message_id = $1`, [emailMessageId]);
  }

  /** Closes tickets solved for longer than `days`; returns them. */
  closeSolvedBefore(tx: EntityManager, days: number, limit: number): Promise<TicketSnapshot[]> {
    return rows<TicketSnapshot>(
      tx,
      `UPDATE tickets t SET status = 'closed', closed_at = now(), status_changed_at = now(), updated_at = now()
       WHERE t.id IN (SELECT id FROM tickets WHERE status = 'solved' AND status_changed_at < now() - make_interval(days => $1) LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING ${TICKET_COLS}`,
      [days, limit],
    );
  }
}
