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
   * Ticket and its first message in one statement; with customerByEmail the customer upsert joins
   * it (ON CONFLICT on the email index, so concurrent creations still give one customer).
   */
  async insert(tx: EntityManager, t: NewTicket): Promise<{ ticket: TicketSnapshot; messageId: string }> {
    const r = await one<TicketSnapshot & { messageId: string }>(
      tx,
      `WITH c AS (
         INSERT INTO customers (email, name) SELECT lower($13::text), $14::text WHERE $5::uuid IS NULL
         ON CONFLICT (email) DO UPDATE SET name = COALESCE(EXCLUDED.name, customers.name), updated_at = now()
         RETURNING id
       ), t AS (
         INSERT INTO tickets (subject, status, priority, channel, tags, customer_id, team_id, assignee_id, parent_ticket_id, search)
         SELECT $1, 'new', $2, $3, $4, COALESCE($5::uuid, (SELECT id FROM c)), $6, $7, $8, to_tsvector('simple', left($1 || ' ' || $9, 100000))
         RETURNING *
       ), m AS (
         INSERT INTO messages (ticket_id, kind, author_id, body, email_message_id)
         SELECT id, $10, $11, $9, $12 FROM t RETURNING id
       )
       SELECT ${TICKET_COLS}, (SELECT id FROM m) AS "messageId" FROM t`,
      [t.subject, t.priority, t.channel, t.tags, t.customerId, t.teamId, t.assigneeId, t.parentTicketId, t.body, t.authorKind, t.authorId, t.emailMessageId, t.customerByEmail?.email ?? null, t.customerByEmail?.name ?? null],
    );
    const { messageId, ...ticket } = r!;
    return { ticket, messageId };
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
