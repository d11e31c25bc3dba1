import { Injectable } from '@nestjs/common';
import { one, rows } from '@keepdesk/core';
import { DataSource } from 'typeorm';

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

  /** The highest event id handed out so far (committed or not). */
  async allocatedMax(): Promise<bigint> {
    if (!this.sequence) {
      const r = await one<{ seq: string }>(this.db.manager, `SELECT pg_get_serial_sequence('ticket_events', 'id') AS seq`);
      if (!r?.seq) throw new Error('ticket_events.id has no sequence');
      this.sequence = r.seq;
    }
    const r = await one<{ last_value: string; is_called: boolean }>(this.db.manager, `SELECT last_value, is_called FROM ${this.sequence}`);
    const last = BigInt(r?.last_value ?? '0');
    return r?.is_called ? last : last - 1n;
  }

  /**
   * Transactions (virtual ids) that hold a write lock on ticket_events right now: they may own
   * ids that are allocated but not yet committed. Table locks are kept until commit or rollback.
   */
  async writers(among?: string[]): Promise<string[]> {
    const r = await rows<{ vxid: string }>(
      this.db.manager,
      `SELECT DISTINCT virtualtransaction AS vxid FROM pg_locks
       WHERE locktype = 'relation' AND relation = 'ticket_events'::regclass
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND mode = 'RowExclusiveLock' AND granted AND pid IS DISTINCT FROM pg_backend_pid()
         ${among ? 'AND virtualtransaction = ANY($1::text[])' : ''}`,
      among ? [among] : [],
    );
    return r.map((x) => x.vxid);
  }

  async between(after: bigint, upTo: bigint, limit: number): Promise<LogEvent[]> {
    const r = await rows<LogRow>(
      this.db.manager,
      `SELECT ${COLUMNS} FROM ticket_events WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3`,
      [after.toString(), upTo.toString(), limit],
    );
    return r.map(toEvent);
  }

  ticketRouting(ticketId: string): Promise<{ teamId: string | null; assigneeId: string | null } | undefined> {
    return one(this.db.manager, `SELECT team_id AS "teamId", assignee_id AS "assigneeId" FROM tickets WHERE id = $1`, [ticketId]);
  }
}
