import { Injectable } from '@nestjs/common';
import { one, rows } from '@keepdesk/core';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';

type Queryable = Pick<EntityManager, 'query'>;

export interface LogEvent {
  id: string;
  type: string;
  ticketId: string | null;
  at: string;
  data: Record<string, unknown>;
  teamId: string | null;
  assigneeId: string | null;
}

interface LogRow {
  id: string;
  type: string;
  ticket_id: string | null;
  data: Record<string, unknown>;
  team_id: string | null;
  assignee_id: string | null;
  created_at: Date;
}

const COLUMNS = 'id, type, ticket_id, data, team_id, assignee_id, created_at';
const toEvent = (r: LogRow): LogEvent => ({
  id: String(r.id),
  type: r.type,
  ticketId: r.ticket_id,
  at: new Date(r.created_at).toISOString(),
  data: r.data ?? {},
  teamId: r.team_id,
  assigneeId: r.assignee_id,
});

/**
 * The inbox reads the durable event log (ticket_events, written by the tickets lib) and the
 * lock table that tells which transactions are still writing to it. See README "Ordering".
 */
@Injectable()
export class InboxRepository {
  private sequence: string | null = null;

  constructor(private readonly db: DataSource) {}

  /** A connection of its own for the feed reader, so it never queues behind HTTP requests for the pool. */
  async dedicatedConnection(): Promise<QueryRunner> {
    const qr = this.db.createQueryRunner('master');
    await qr.connect();
    return qr;
  }

  /**
   * In one round trip and in this order: the highest event id handed out so far (committed or
   * not), then the transactions (virtual ids) holding a write lock on ticket_events, which may own
   * allocated ids that are not visible yet. The lock subquery depends on the sequence read, so
   * Postgres evaluates it second; table locks are kept until commit or rollback.
   */
  async watermark(m: Queryable = this.db.manager): Promise<{ allocated: bigint; writers: string[] }> {
    const seq = await this.sequenceName(m);
    const r = await one<{ last_value: string; is_called: boolean; writers: string[] | null }>(
      m,
      `WITH s AS MATERIALIZED (SELECT last_value, is_called FROM ${seq})
       SELECT s.last_value, s.is_called,
         (SELECT array_agg(DISTINCT l.virtualtransaction) FROM pg_locks l
          WHERE s.last_value IS NOT NULL AND l.locktype = 'relation' AND l.relation = 'ticket_events'::regclass
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND l.mode = 'RowExclusiveLock' AND l.granted AND l.pid IS DISTINCT FROM pg_backend_pid()) AS writers
       FROM s`,
    );
    const last = BigInt(r?.last_value ?? '0');
    return { allocated: r?.is_called ? last : last - 1n, writers: r?.writers ?? [] };
  }

  /** Which of these transactions still hold their write lock on ticket_events. */
  async stillWriting(vxids: string[], m: Queryable = this.db.manager): Promise<string[]> {
    const r = await rows<{ vxid: string }>(
      m,
      `SELECT DISTINCT virtualtransaction AS vxid FROM pg_locks
       WHERE locktype = 'relation' AND relation = 'ticket_events'::regclass
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND mode = 'RowExclusiveLock' AND granted AND virtualtransaction = ANY($1::text[])`,
      [vxids],
    );
    return r.map((x) => x.vxid);
  }

  private async sequenceName(m: Queryable): Promise<string> {
    if (!this.sequence) {
      const r = await one<{ seq: string }>(m, `SELECT pg_get_serial_sequence('ticket_events', 'id') AS seq`);
      if (!r?.seq) throw new Error('ticket_events.id has no sequence');
      this.sequence = r.seq;
    }
    return this.sequence;
  }

  async between(after: bigint, upTo: bigint, limit: number, m: Queryable = this.db.manager): Promise<LogEvent[]> {
    const r = await rows<LogRow>(
      m,
      `SELECT ${COLUMNS} FROM ticket_events WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3`,
      [after.toString(), upTo.toString(), limit],
    );
    return r.map(toEvent);
  }

  ticketRouting(ticketId: string): Promise<{ teamId: string | null; assigneeId: string | null } | undefined> {
    return one(this.db.manager, `SELECT team_id AS "teamId", assignee_id AS "assigneeId" FROM tickets WHERE id = $1`, [ticketId]);
  }
}
