import { Injectable } from '@nestjs/common';
import { rows } from '@keepdesk/core';
import { EntityManager } from 'typeorm';
import { GROUP_BY, GROUP_KEY_SQL, GroupBy } from './group-keys';
import { GroupCounts } from './retention-report.repository';
import { RollupPlan } from './rollup-plan';

/** Windows longer than this are refused by the DTO; later first orders are stored as "none". */
const MAX_LAG_DAYS = 3650;
/** The dimensions GROUPING SETS can count in one pass (tags fan out, so they get their own branch). */
const SCALAR_DIMENSIONS = GROUP_BY.filter((g) => g !== 'none' && g !== 'tag');
const col = (d: string) => `k_${d.toLowerCase()}`;

/**
 * Whole days from the anchor to the first later order, rounded up, in integer microseconds (no
 * float rounding at the boundary): lag ≤ W exactly when next_order_at ≤ anchor_at + W × 86,400 s.
 */
const LAG_SQL = `((extract(epoch FROM tr.next_order_at - tr.anchor_at) * 1000000)::bigint + 86399999999) / 86400000000`;

/**
 * retention_rollup: the repurchase report's counts per UTC day × dimension × key, with the lag
 * histogram that answers every window. The only code that writes it.
 */
@Injectable()
export class RetentionRollupRepository {
  /**
   * Rebuilds the days marked dirty, under a transaction-scoped advisory lock (one rebuild at a
   * time; a second reader waits, then finds nothing left to do). Marks are deleted first and the
   * days recomputed by a later statement, whose snapshot holds every change those marks stood
   * for; a mark committed meanwhile stays and is rebuilt next time. Returns the days rebuilt.
   */
  async rebuildDirty(tx: EntityManager): Promise<number> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('retention.rollup'))`);
    const dirty = await rows<{ day: string }>(
      tx,
      `WITH d AS (DELETE FROM retention_dirty_days RETURNING day) SELECT DISTINCT to_char(day, 'YYYY-MM-DD') AS day FROM d`,
    );
    if (!dirty.length) return 0;
    const days = dirty.map((d) => d.day).sort();
    await tx.query(`DELETE FROM retention_rollup WHERE day = ANY($1::date[])`, [days]);
    const keys = SCALAR_DIMENSIONS.map((d) => `${GROUP_KEY_SQL[d]} AS ${col(d)}`).join(',\n              ');
    const whichDim = (expr: (d: string) => string) =>
      `CASE ${SCALAR_DIMENSIONS.map((d) => `WHEN grouping(${col(d)}) = 0 THEN ${expr(d)}`).join(' ')} ELSE NULL END`;
    await tx.query(
      `WITH src AS MATERIALIZED (
         SELECT (tr.anchor_at AT TIME ZONE 'UTC')::date AS day,
                CASE WHEN tr.next_order_at <= tr.anchor_at + make_interval(secs => ${MAX_LAG_DAYS * 86400}) THEN (${LAG_SQL})::int END AS lag,
                tr.tags,
                ${keys}
         FROM ticket_retention tr
         WHERE tr.anchor_at >= ($2::date::timestamp AT TIME ZONE 'UTC') AND tr.anchor_at < (($3::date + 1)::timestamp AT TIME ZONE 'UTC')
           AND (tr.anchor_at AT TIME ZONE 'UTC')::date = ANY($1::date[])
       ), counted AS (
         SELECT day, lag, coalesce(${whichDim((d) => `'${d}'`)}, 'none') AS dimension,
                ${whichDim((d) => `${col(d)}`)} AS key, count(*) AS n
         FROM src
         GROUP BY day, lag, GROUPING SETS ((), ${SCALAR_DIMENSIONS.map((d) => `(${col(d)})`).join(', ')})
         UNION ALL
         SELECT day, lag, 'tag', tg.tag, count(*) FROM src LEFT JOIN LATERAL unnest(src.tags) AS tg(tag) ON true GROUP BY day, lag, tg.tag
       )
       INSERT INTO retention_rollup (day, dimension, key, tickets, lags, retained_upto)
       SELECT day, dimension, key, sum(n)::int,
              coalesce(array_agg(lag ORDER BY lag) FILTER (WHERE lag IS NOT NULL), '{}'),
              coalesce(array_agg(upto ORDER BY lag) FILTER (WHERE lag IS NOT NULL), '{}')
       FROM (SELECT counted.*, (sum(n) OVER (PARTITION BY day, dimension, key ORDER BY lag ROWS UNBOUNDED PRECEDING))::int AS upto FROM counted) c
       GROUP BY day, dimension, key`,
      [days, days[0], days[days.length - 1]],
    );
    return days.length;
  }

  /** Whether customers wait to be relinked and whether rollup days are dirty. */
  async owed(m: EntityManager): Promise<{ links: boolean; days: boolean }> {
    const [r] = await rows<{ links: boolean; days: boolean }>(
      m,
      `SELECT EXISTS (SELECT 1 FROM retention_link_queue) AS links, EXISTS (SELECT 1 FROM retention_dirty_days) AS days`,
    );
    return r;
  }

  /**
   * Counts per key of one dimension (and of `none`, the exact total: a ticket with two tags is
   * one ticket) over the plan's whole days, the maturity line's day excluded. width_bucket(W, lags)
   * = how many lags are ≤ W (0 → retained_upto[0] is null, which sum skips).
   */
  async counts(m: EntityManager, groupBy: GroupBy, window: number, plan: RollupPlan): Promise<{ groups: GroupCounts[]; total: GroupCounts }> {
    const params: unknown[] = [[...new Set<GroupBy>(['none', groupBy])], plan.toDay, plan.cutDay, window];
    let where = `dimension = ANY($1::text[]) AND day < $2::date AND day <> $3::date`;
    if (plan.fromDay) {
      params.push(plan.fromDay);
      where += ` AND day >= $${params.length}::date`;
    }
    const found = await rows<{ dimension: string; key: string | null; tickets: string; matured: string; retained: string }>(
      m,
      `SELECT dimension, key, sum(tickets) AS tickets,
              coalesce(sum(tickets) FILTER (WHERE day < $3::date), 0) AS matured,
              coalesce(sum(retained_upto[width_bucket($4::int, lags)]) FILTER (WHERE day < $3::date), 0) AS retained
       FROM retention_rollup
       WHERE ${where}
       GROUP BY dimension, key`,
      params,
    );
    const toCounts = (r: (typeof found)[number]): GroupCounts => ({
      key: r.key,
      tickets: Number(r.tickets),
      matured: Number(r.matured),
      retained: Number(r.retained),
    });
    const total = found.find((r) => r.dimension === 'none');
    return {
      groups: groupBy === 'none' ? [] : found.filter((r) => r.dimension === groupBy).map(toCounts),
      total: total ? toCounts(total) : { key: null, tickets: 0, matured: 0, retained: 0 },
    };
  }
}
