import { Injectable, Logger } from '@nestjs/common';
import { affected, one, rows } from '@keepdesk/core';
import { EntityManager } from 'typeorm';

/**
 * Reads other domains' data (surveys, SLA timers) by SQL, guarded: those domains may not be
 * installed, or not migrated yet, and retention must still work without them. Columns are checked
 * in information_schema once per process; a missing table or column turns the signal off.
 */
@Injectable()
export class ServiceSignalsRepository {
  private readonly logger = new Logger(ServiceSignalsRepository.name);
  private columns: Map<string, Set<string>> | null = null;

  async has(m: EntityManager, table: string, cols: string[]): Promise<boolean> {
    if (!this.columns) {
      const found = await rows<{ table_name: string; column_name: string }>(
        m,
        `SELECT table_name, column_name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name IN ('surveys', 'sla_timers', 'tickets')`,
      );
      const map = new Map<string, Set<string>>();
      for (const f of found) {
        if (!map.has(f.table_name)) map.set(f.table_name, new Set());
        map.get(f.table_name)!.add(f.column_name);
      }
      // Only cache once both optional domains are there; until then re-check (they may be migrating).
      if (map.has('surveys') && map.has('sla_timers')) this.columns = map;
      return cols.every((c) => map.get(table)?.has(c));
    }
    return cols.every((c) => this.columns!.get(table)?.has(c));
  }

  /**
   * Copies survey scores and SLA outcomes of tickets changed since `since` into ticket_retention
   * (the report's group keys), so reports never join those tables. Survey: the latest answered
   * CSAT score and NPS class. SLA: breached if any target breached, met if some achieved and none
   * breached. Returns rows touched.
   */
  async refreshInto(m: EntityManager, since: Date): Promise<number> {
    let n = 0;
    if (await this.has(m, 'surveys', ['ticket_id', 'type', 'score', 'answered_at', 'updated_at'])) {
      n += await affected(
        m,
        `UPDATE ticket_retention tr SET
           csat_score = s.csat, nps_class = s.nps, updated_at = now()
         FROM (
           SELECT ticket_id,
                  (array_agg(score ORDER BY answered_at DESC) FILTER (WHERE type = 'csat' AND answered_at IS NOT NULL))[1] AS csat,
                  (array_agg(CASE WHEN score >= 9 THEN 'promoter' WHEN score >= 7 THEN 'passive' ELSE 'detractor' END ORDER BY answered_at DESC)
                     FILTER (WHERE type = 'nps' AND answered_at IS NOT NULL))[1] AS nps
           FROM surveys
           WHERE ticket_id IN (SELECT ticket_id FROM surveys WHERE updated_at >= $1)
           GROUP BY ticket_id
         ) s
         WHERE tr.ticket_id = s.ticket_id
           AND (tr.csat_score IS DISTINCT FROM s.csat OR tr.nps_class IS DISTINCT FROM s.nps)`,
        [since.toISOString()],
      );
    }
    if (await this.has(m, 'sla_timers', ['ticket_id', 'state', 'updated_at'])) {
      n += await affected(
        m,
        `UPDATE ticket_retention tr SET sla_met = s.met, updated_at = now()
         FROM (
           SELECT ticket_id,
                  CASE WHEN bool_or(state = 'breached') THEN false WHEN bool_or(state = 'achieved') THEN true END AS met
           FROM sla_timers
           WHERE ticket_id IN (SELECT ticket_id FROM sla_timers WHERE updated_at >= $1)
           GROUP BY ticket_id
         ) s
         WHERE tr.ticket_id = s.ticket_id AND tr.sla_met IS DISTINCT FROM s.met`,
        [since.toISOString()],
      );
    }
    return n;
  }

  /** Service signals of one customer for the churn-risk score; zeros for domains not present. */
  async forCustomer(m: EntityManager, customerId: string, sinceDays = 90) {
    const [open, reopens] = await Promise.all([
      one<{ n: string }>(m, `SELECT count(*) AS n FROM tickets WHERE customer_id = $1 AND status NOT IN ('solved', 'closed')`, [customerId]),
      one<{ n: string }>(
        m,
        `SELECT coalesce(sum(reopen_count), 0) AS n FROM tickets WHERE customer_id = $1 AND created_at > now() - make_interval(days => $2)`,
        [customerId, sinceDays],
      ),
    ]);
    let breaches = 0;
    let lowScores = 0;
    try {
      if (await this.has(m, 'sla_timers', ['ticket_id', 'state', 'breached_at'])) {
        const r = await one<{ n: string }>(
          m,
          `SELECT count(*) AS n FROM sla_timers s JOIN tickets t ON t.id = s.ticket_id
           WHERE t.customer_id = $1 AND s.state = 'breached' AND s.breached_at > now() - make_interval(days => $2)`,
          [customerId, sinceDays],
        );
        breaches = Number(r?.n ?? 0);
      }
      if (await this.has(m, 'surveys', ['ticket_id', 'type', 'score', 'answered_at'])) {
        const r = await one<{ n: string }>(
          m,
          `SELECT count(*) AS n FROM surveys s JOIN tickets t ON t.id = s.ticket_id
           WHERE t.customer_id = $1 AND s.answered_at > now() - make_interval(days => $2)
             AND ((s.type = 'csat' AND s.score <= 2) OR (s.type = 'nps' AND s.score <= 6) OR (s.type = 'ces' AND s.score >= 5))`,
          [customerId, sinceDays],
        );
        lowScores = Number(r?.n ?? 0);
      }
    } catch (e) {
      this.logger.warn(`service signals unavailable: ${(e as Error).message}`);
    }
    return { openTickets: Number(open?.n ?? 0), reopens: Number(reopens?.n ?? 0), breachedSlas: breaches, lowScores };
  }
}
