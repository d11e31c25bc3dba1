import { Injectable } from '@nestjs/common';
import { rows } from '@keepdesk/core';
import { EntityManager } from 'typeorm';
import type { SummaryGroup } from '../dto/sla.dto';

export interface BreachFilter {
  teamId?: string;
  assigneeId?: string;
  ticketId?: string;
  policyId?: string;
  priority?: string;
  target?: string;
  from?: Date;
  to?: Date;
  /** Keyset: strictly older than this (breachedAt desc, id desc). */
  before?: { at: Date; id: string };
  /** Agents see only their teams' and their own tickets. */
  visibleTo?: { userId: string; teamIds: string[] };
  limit: number;
}

export interface BreachRow {
  timerId: string;
  ticketId: string;
  ticketNumber: number;
  subject: string;
  status: string;
  priority: string;
  teamId: string | null;
  assigneeId: string | null;
  target: string;
  policyId: string | null;
  startedAt: string;
  dueAt: string;
  breachedAt: string;
}

export interface SummaryCell {
  target: string;
  key: string | null;
  achieved: number;
  breached: number;
}

const GROUP_COLUMN: Record<SummaryGroup, string> = { team: 't.team_id', priority: 't.priority', agent: 't.assignee_id' };

/** Read-only SQL behind `GET /api/sla/breaches` and `GET /api/sla/summary`. */
@Injectable()
export class SlaReportsRepository {
  async breaches(m: EntityManager, f: BreachFilter): Promise<BreachRow[]> {
    const where = [`s.state = 'breached'`];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.teamId) add('t.team_id = ?', f.teamId);
    if (f.assigneeId) add('t.assignee_id = ?', f.assigneeId);
    if (f.ticketId) add('s.ticket_id = ?', f.ticketId);
    if (f.policyId) add('s.policy_id = ?', f.policyId);
    if (f.priority) add('t.priority = ?', f.priority);
    if (f.target) add('s.target = ?', f.target);
    if (f.from) add('s.breached_at >= ?', f.from);
    if (f.to) add('s.breached_at < ?', f.to);
    if (f.visibleTo) {
      params.push(f.visibleTo.teamIds, f.visibleTo.userId);
      where.push(`(t.team_id = ANY($${params.length - 1}::uuid[]) OR t.assignee_id = $${params.length})`);
    }
    if (f.before) {
      params.push(f.before.at, f.before.id);
      where.push(`(s.breached_at, s.id) < ($${params.length - 1}, $${params.length}::uuid)`);
    }
    params.push(f.limit);
    return rows<BreachRow>(
      m,
      `SELECT s.id AS "timerId", s.ticket_id AS "ticketId", t.number::int AS "ticketNumber", t.subject, t.status, t.priority,
              t.team_id AS "teamId", t.assignee_id AS "assigneeId", s.target, s.policy_id AS "policyId",
              s.started_at AS "startedAt", s.due_at AS "dueAt", s.breached_at AS "breachedAt"
       FROM sla_timers s JOIN tickets t ON t.id = s.ticket_id
       WHERE ${where.join(' AND ')}
       ORDER BY s.breached_at DESC, s.id DESC
       LIMIT $${params.length}`,
      params,
    );
  }

  /**
   * Achieved and breached timers per target (and group) among timers that ended in [from, to):
   * achieved at `achieved_at`, breached at `breached_at`. Grouped by the ticket's current team,
   * priority and assignee.
   */
  async summary(m: EntityManager, from: Date, to: Date, group: SummaryGroup | null, teamId?: string): Promise<SummaryCell[]> {
    const key = group ? GROUP_COLUMN[group] : 'NULL';
    const params: unknown[] = [from, to];
    let teamFilter = '';
    if (teamId) {
      params.push(teamId);
      teamFilter = ` AND t.team_id = $3`;
    }
    const r = await rows(
      m,
      `SELECT s.target, ${key}::text AS key,
              count(*) FILTER (WHERE s.state = 'achieved') AS achieved,
              count(*) FILTER (WHERE s.state = 'breached') AS breached
       FROM sla_timers s JOIN tickets t ON t.id = s.ticket_id
       WHERE ((s.state = 'achieved' AND s.achieved_at >= $1 AND s.achieved_at < $2)
          OR (s.state = 'breached' AND s.breached_at >= $1 AND s.breached_at < $2))${teamFilter}
       GROUP BY 1, 2
       ORDER BY 1, 2 NULLS LAST`,
      params,
    );
    return r.map((x) => ({ target: x.target, key: x.key, achieved: Number(x.achieved), breached: Number(x.breached) }));
  }
}
