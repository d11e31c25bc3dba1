/**
 * The dimensions retention reports group by, each one SQL expression over ticket_retention (alias
 * tr). The report, its total, the drill-down list and the KM curves all build their SQL from these
 * and from cohortSql below: one definition per metric, so a figure and the tickets behind it agree.
 */
export const GROUP_BY = ['none', 'csat', 'nps', 'sla', 'firstResponse', 'agent', 'team', 'channel', 'priority', 'tag'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export const FIRST_RESPONSE_BUCKETS = ['<1h', '1-4h', '4-24h', '>24h'] as const;

export const GROUP_KEY_SQL: Record<GroupBy, string> = {
  none: `NULL::text`,
  csat: `tr.csat_score::text`,
  nps: `tr.nps_class`,
  sla: `CASE tr.sla_met WHEN true THEN 'met' WHEN false THEN 'breached' END`,
  firstResponse: `CASE WHEN tr.first_response_minutes IS NULL THEN NULL
                       WHEN tr.first_response_minutes < 60 THEN '<1h'
                       WHEN tr.first_response_minutes < 240 THEN '1-4h'
                       WHEN tr.first_response_minutes < 1440 THEN '4-24h'
                       ELSE '>24h' END`,
  agent: `tr.agent_id::text`,
  team: `tr.team_id::text`,
  channel: `tr.channel`,
  priority: `tr.priority`,
  tag: `tg.tag`,
};

/** FROM clause: tags fan out (a ticket with two tags is in both tag groups; the total counts it once). */
export function fromSql(groupBy: GroupBy): string {
  return groupBy === 'tag' ? `ticket_retention tr LEFT JOIN LATERAL unnest(tr.tags) AS tg(tag) ON true` : `ticket_retention tr`;
}

export interface Cohort {
  window: number;
  from: Date | null;
  to: Date | null;
  /** The report's "now": fixed in the response and in every drill-down filter, so they agree. */
  asOf: Date;
}

/**
 * Appends the cohort's parameters and returns SQL fragments:
 * - inRange: ticket anchored in [from, to) and not after asOf
 * - matured: its window has fully elapsed by asOf (others are excluded, not counted as lost)
 * - retained: an order after the anchor within the window (and known by asOf)
 */
export function cohortSql(c: Cohort, params: unknown[]): { inRange: string; matured: string; retained: string } {
  params.push(c.asOf.toISOString());
  const asOf = `$${params.length}::timestamptz`;
  // The window parameter is added only if a fragment using it is read (Postgres rejects unused,
  // untyped parameters), hence the getters.
  let w: string | null = null;
  const win = () => {
    if (w === null) {
      // Days of 86,400 s (not calendar days in the session's time zone), as the rollup counts them.
      params.push(c.window * 86400);
      w = `make_interval(secs => $${params.length}::int)`;
    }
    return w;
  };
  const parts = [`tr.anchor_at <= ${asOf}`];
  if (c.from) {
    params.push(c.from.toISOString());
    parts.push(`tr.anchor_at >= $${params.length}::timestamptz`);
  }
  if (c.to) {
    params.push(c.to.toISOString());
    parts.push(`tr.anchor_at < $${params.length}::timestamptz`);
  }
  return {
    inRange: parts.join(' AND '),
    get matured() {
      return `tr.anchor_at <= ${asOf} - ${win()}`;
    },
    get retained() {
      return `tr.next_order_at <= tr.anchor_at + ${win()} AND tr.next_order_at <= ${asOf}`;
    },
  };
}

/** The WHERE condition selecting one group's tickets (value null = the "no value" group). */
export function groupSql(groupBy: GroupBy, value: string | null, params: unknown[]): string {
  if (groupBy === 'none') return 'true';
  if (groupBy === 'tag') {
    if (value === null) return `cardinality(tr.tags) = 0`;
    params.push(value);
    return `$${params.length} = ANY(tr.tags)`;
  }
  const expr = GROUP_KEY_SQL[groupBy];
  if (value === null) return `(${expr}) IS NULL`;
  params.push(value);
  return `(${expr}) = $${params.length}`;
}
