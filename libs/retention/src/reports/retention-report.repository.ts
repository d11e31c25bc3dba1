import { Injectable } from '@nestjs/common';
import { rows } from '@keepdesk/core';
import { EntityManager } from 'typeorm';
import { Cohort, cohortSql, fromSql, GROUP_KEY_SQL, GroupBy, groupSql } from './group-keys';
import { RollupPlan } from './rollup-plan';

export interface GroupCounts {
  key: string | null;
  tickets: number;
  matured: number;
  retained: number;
}

@Injectable()
export class RetentionReportRepository {
  /**
   * Counts per group (plus the ungrouped total) in one scan of ticket_retention; with a rollup
   * plan, only of the tickets the rollup does not cover (partial days, read through the anchor index).
   */
  async repurchaseCounts(m: EntityManager, groupBy: GroupBy, cohort: Cohort, outsideRollup?: RollupPlan): Promise<{ groups: GroupCounts[]; total: GroupCounts }> {
    const params: unknown[] = [];
    const c = cohortSql(cohort, params);
    let range = c.inRange;
    if (outsideRollup) {
      const p = outsideRollup;
      params.push(p.toAt, p.cutAt, p.cutEndAt);
      const n = params.length;
      const parts = [`tr.anchor_at >= $${n - 2}::timestamptz`, `(tr.anchor_at >= $${n - 1}::timestamptz AND tr.anchor_at < $${n}::timestamptz)`];
      if (p.fromAt) {
        params.push(p.fromAt);
        parts.push(`tr.anchor_at < $${params.length}::timestamptz`);
      }
      range = `${c.inRange} AND (${parts.join(' OR ')})`;
    }
    const agg = `count(DISTINCT tr.ticket_id)`;
    const counts = (filter: string) => (groupBy === 'tag' ? `count(DISTINCT tr.ticket_id) FILTER (WHERE ${filter})` : `count(*) FILTER (WHERE ${filter})`);
    // Tags fan tickets out, so their total needs DISTINCT; other dimensions get the total for free
    // from GROUPING SETS in the same scan.
    const sql = `SELECT ${GROUP_KEY_SQL[groupBy]} AS key, grouping(${GROUP_KEY_SQL[groupBy]}) AS is_total,
                        ${groupBy === 'tag' ? agg : 'count(*)'} AS tickets,
                        ${counts(c.matured)} AS matured,
                        ${counts(`${c.matured} AND ${c.retained}`)} AS retained
                 FROM ${fromSql(groupBy)}
                 WHERE ${range}
                 GROUP BY GROUPING SETS ((${GROUP_KEY_SQL[groupBy]}), ())`;
    const result = await rows<{ key: string | null; is_total: number; tickets: string; matured: string; retained: string }>(m, sql, params);
    const toCounts = (r: (typeof result)[number]): GroupCounts => ({
      key: r.key,
      tickets: Number(r.tickets),
      matured: Number(r.matured),
      retained: Number(r.retained),
    });
    const totalRow = result.find((r) => Number(r.is_total) === 1);
    const groups = groupBy === 'none' ? [] : result.filter((r) => Number(r.is_total) === 0).map(toCounts);
    return { groups, total: totalRow ? toCounts(totalRow) : { key: null, tickets: 0, matured: 0, retained: 0 } };
  }

  /** The tickets behind one group row (the drill-down), keyset-paginated by ticket id. */
  async cohortTickets(
    m: EntityManager,
    groupBy: GroupBy,
    value: string | null,
    cohort: Cohort,
    outcome: 'matured' | 'retained' | 'lost' | 'immature' | 'all',
    after: string | null,
    limit: number,
  ) {
    const params: unknown[] = [];
    const c = cohortSql(cohort, params);
    // Read now: the first read adds the window parameter, which must come before `after` and the
    // limit (with outcome=all nothing read it until the SELECT list, after LIMIT took its number).
    const matured = c.matured;
    const retained = c.retained;
    const where = [c.inRange, groupSql(groupBy, value, params)];
    if (outcome === 'matured') where.push(matured);
    if (outcome === 'retained') where.push(`${matured} AND ${retained}`);
    if (outcome === 'lost') where.push(`${matured} AND NOT coalesce(${retained}, false)`);
    if (outcome === 'immature') where.push(`NOT (${matured})`);
    if (after) {
      params.push(after);
      where.push(`tr.ticket_id > $${params.length}::uuid`);
    }
    params.push(limit);
    return rows<{ ticket_id: string; customer_id: string; anchor_at: Date; next_order_at: Date | null; matured: boolean; retained: boolean | null }>(
      m,
      `SELECT tr.ticket_id, tr.customer_id, tr.anchor_at, tr.next_order_at,
              ${matured} AS matured, coalesce(${matured} AND ${retained}, false) AS retained
       FROM ticket_retention tr
       WHERE ${where.map((w) => `(${w})`).join(' AND ')}
       ORDER BY tr.ticket_id
       LIMIT $${params.length}`,
      params,
    );
  }

  /**
   * Survival data for Kaplan–Meier, aggregated in SQL to (group, whole days, event) counts: the
   * time is anchor → first later order (event), or anchor → asOf (censored: still no order).
   */
  async survivalCounts(m: EntityManager, groupBy: GroupBy, cohort: Omit<Cohort, 'window'>) {
    const params: unknown[] = [];
    const c = cohortSql({ ...cohort, window: 0 }, params);
    const asOf = `$1::timestamptz`;
    const event = `(tr.next_order_at IS NOT NULL AND tr.next_order_at <= ${asOf})`;
    return rows<{ key: string | null; days: number; event: boolean; n: string }>(
      m,
      `SELECT ${GROUP_KEY_SQL[groupBy]} AS key,
              floor(extract(epoch FROM (CASE WHEN ${event} THEN tr.next_order_at ELSE ${asOf} END) - tr.anchor_at) / 86400)::int AS days,
              ${event} AS event, count(*) AS n
       FROM ${fromSql(groupBy)}
       WHERE ${c.inRange}
       GROUP BY 1, 2, 3`,
      params,
    );
  }
}
