import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { one } from '@keepdesk/core';
import { DataSource } from 'typeorm';
import { kaplanMeier, medianTime, SurvivalObservation, survivalAt, wilsonInterval } from '../models';
import { Cohort, GroupBy } from './group-keys';
import { GroupCounts, RetentionReportRepository } from './retention-report.repository';
import { RetentionRefreshService } from './retention-refresh.service';
import { RetentionRollupRepository } from './retention-rollup.repository';
import { rollupPlan } from './rollup-plan';
import { ServiceSignalsRepository } from './service-signals.repository';

export const DRILL_DOWN_PATH = '/api/retention/repurchase/tickets';
/** Survey/SLA signals are copied into ticket_retention at most this often (per cluster). */
const REFRESH_EVERY_MS = 5000;
/** Re-read this far behind the watermark: a change stamped before it may commit after it. */
const REFRESH_OVERLAP_MS = 60000;

const round = (x: number | null, d = 4) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

@Injectable()
export class RetentionReportService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: RetentionReportRepository,
    private readonly signals: ServiceSignalsRepository,
    private readonly rollup: RetentionRollupRepository,
    private readonly refresh: RetentionRefreshService,
  ) {}

  /** When this process last refreshed signals: within REFRESH_EVERY_MS it skips even asking Postgres. */
  private signalsRefreshedAt = 0;

  /** Survey/SLA keys and queued links into ticket_retention (and the rollup, if asked): what reports read. */
  private async freshen(rollup: boolean): Promise<void> {
    await this.refreshSignals();
    await this.refresh.catchUp(rollup);
  }

  /**
   * Copies new survey answers and SLA outcomes into ticket_retention. One instance at a time
   * (advisory lock); the others skip, since the one holding it is doing the same work.
   */
  async refreshSignals(force = false): Promise<void> {
    if (!force && Date.now() - this.signalsRefreshedAt < REFRESH_EVERY_MS) return;
    await this.ds.transaction(async (tx) => {
      const got = await one<{ ok: boolean }>(tx, `SELECT pg_try_advisory_xact_lock(hashtext('retention.signals')) AS ok`);
      if (!got?.ok) return;
      const state = await one<{ at: Date }>(tx, `SELECT at FROM retention_state WHERE key = 'signals'`);
      const now = new Date();
      if (!force && state && now.getTime() - new Date(state.at).getTime() < REFRESH_EVERY_MS) return;
      const since = state ? new Date(new Date(state.at).getTime() - REFRESH_OVERLAP_MS) : new Date(0);
      await this.signals.refreshInto(tx, since);
      await tx.query(
        `INSERT INTO retention_state (key, at) VALUES ('signals', $1) ON CONFLICT (key) DO UPDATE SET at = EXCLUDED.at`,
        [now.toISOString()],
      );
    });
    this.signalsRefreshedAt = Date.now();
  }

  /**
   * Whole days come from the rollup (rebuilt first for days marked dirty), the few partial days
   * from ticket_retention; both from the same definitions, so the sum is the exact figure.
   */
  async repurchase(groupBy: GroupBy, cohort: Cohort) {
    await this.freshen(true);
    const plan = rollupPlan(cohort);
    const [rolled, raw] = await Promise.all([
      this.rollup.counts(this.ds.manager, groupBy, cohort.window, plan),
      this.repo.repurchaseCounts(this.ds.manager, groupBy, cohort, plan),
    ]);
    const { groups, total } = addCounts(rolled, raw);
    const row = (g: GroupCounts, isTotal: boolean) => {
      const ci = wilsonInterval(g.retained, g.matured);
      return {
        key: g.key,
        tickets: g.tickets,
        matured: g.matured,
        immature: g.tickets - g.matured,
        retained: g.retained,
        rate: round(ci.rate),
        low: round(ci.low),
        high: round(ci.high),
        filter: this.filter(isTotal ? 'none' : groupBy, g.key, cohort),
      };
    };
    return {
      window: cohort.window,
      groupBy,
      from: cohort.from?.toISOString() ?? null,
      to: cohort.to?.toISOString() ?? null,
      asOf: cohort.asOf.toISOString(),
      definition:
        'rate = retained / matured. A ticket is anchored at solvedAt (createdAt if never solved); matured when anchor + window <= asOf; ' +
        'retained when the customer placed an order after the anchor within the window. Immature tickets are excluded. 95% Wilson interval.',
      total: row(total, true),
      groups: groups.map((g) => row(g, false)).sort((p, q) => String(p.key ?? '\uffff').localeCompare(String(q.key ?? '\uffff'))),
    };
  }

  /** What lists the tickets behind a row: the drill-down route's query (same cohort SQL). */
  filter(groupBy: GroupBy, key: string | null, cohort: Cohort) {
    const query: Record<string, string> = { window: String(cohort.window), groupBy, asOf: cohort.asOf.toISOString(), outcome: 'matured' };
    if (groupBy !== 'none') {
      if (key === null) query.missing = 'true';
      else query.key = key;
    }
    if (cohort.from) query.from = cohort.from.toISOString();
    if (cohort.to) query.to = cohort.to.toISOString();
    return { path: DRILL_DOWN_PATH, query, href: `${DRILL_DOWN_PATH}?${new URLSearchParams(query).toString()}` };
  }

  async tickets(
    groupBy: GroupBy,
    key: string | null,
    cohort: Cohort,
    outcome: 'matured' | 'retained' | 'lost' | 'immature' | 'all',
    cursor: string | null,
    limit: number,
  ) {
    await this.freshen(false);
    const list = await this.repo.cohortTickets(this.ds.manager, groupBy, key, cohort, outcome, cursor, limit + 1);
    const page = list.slice(0, limit);
    return {
      items: page.map((r) => ({
        ticketId: r.ticket_id,
        customerId: r.customer_id,
        anchorAt: new Date(r.anchor_at).toISOString(),
        nextOrderAt: r.next_order_at ? new Date(r.next_order_at).toISOString() : null,
        daysToRepurchase: r.next_order_at ? round((new Date(r.next_order_at).getTime() - new Date(r.anchor_at).getTime()) / 86400000, 2) : null,
        matured: r.matured,
        retained: r.retained,
      })),
      nextCursor: list.length > limit ? page[page.length - 1].ticket_id : null,
    };
  }

  async timeToRepurchase(groupBy: GroupBy, cohort: Omit<Cohort, 'window'>, maxDays: number) {
    await this.freshen(false);
    const counts = await this.repo.survivalCounts(this.ds.manager, groupBy, cohort);
    // One observation per (group, whole days, outcome) with its count: a million tickets stay a few hundred rows.
    const byKey = new Map<string | null, SurvivalObservation[]>();
    for (const c of counts) {
      let obs = byKey.get(c.key);
      if (!obs) byKey.set(c.key, (obs = []));
      obs.push({ time: Math.max(0, c.days), event: c.event, count: Number(c.n) });
    }
    const sum = (obs: SurvivalObservation[], event: boolean | null) => obs.reduce((a, o) => a + (event === null || o.event === event ? (o.count ?? 1) : 0), 0);
    const groups = [...byKey].map(([key, obs]) => {
      const steps = kaplanMeier(obs);
      return {
        key,
        tickets: sum(obs, null),
        repurchases: sum(obs, true),
        censored: sum(obs, false),
        medianDays: medianTime(steps),
        repurchasedBy: Object.fromEntries([30, 60, 90].map((d) => [String(d), round(1 - survivalAt(steps, d))])),
        curve: steps
          .filter((s) => s.t <= maxDays)
          .map((s) => ({ t: s.t, survival: round(s.survival), atRisk: s.atRisk, events: s.events, censored: s.censored })),
      };
    });
    groups.sort((p, q) => String(p.key ?? '\uffff').localeCompare(String(q.key ?? '\uffff')));
    return {
      groupBy,
      asOf: cohort.asOf.toISOString(),
      from: cohort.from?.toISOString() ?? null,
      to: cohort.to?.toISOString() ?? null,
      definition:
        'Kaplan–Meier estimate of S(t) = P(no order yet t whole days after the anchor). Tickets with no later order are censored at asOf.',
      groups,
    };
  }
}

/** Counts of two disjoint sets of tickets, added per key (null = the no-value group). */
function addCounts(...parts: { groups: GroupCounts[]; total: GroupCounts }[]): { groups: GroupCounts[]; total: GroupCounts } {
  const byKey = new Map<string | null, GroupCounts>();
  const total: GroupCounts = { key: null, tickets: 0, matured: 0, retained: 0 };
  const add = (into: GroupCounts, g: GroupCounts) => {
    into.tickets += g.tickets;
    into.matured += g.matured;
    into.retained += g.retained;
  };
  for (const p of parts) {
    add(total, p.total);
    for (const g of p.groups) {
      let into = byKey.get(g.key);
      if (!into) byKey.set(g.key, (into = { key: g.key, tickets: 0, matured: 0, retained: 0 }));
      add(into, g);
    }
  }
  return { groups: [...byKey.values()], total };
}
