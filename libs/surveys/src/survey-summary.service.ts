import { Injectable } from '@nestjs/common';
import { invalid, Metrics } from '@keepdesk/core';
import { Gauge } from 'prom-client';
import { computeMetrics, Histogram } from './survey-metrics';
import { SurveySummaryQuery } from './surveys.dto';
import { HistogramRow, SurveysRepository } from './surveys.repository';
import { SurveyType } from './survey-types';

const DAY = 86400000;
/** Longer than the wait for the answer to end-of-data (SurveyMailer), so a send in progress is not counted. */
const IN_DOUBT_AFTER_SECONDS = 120;
const IN_DOUBT_WINDOW_DAYS = 7;

/** GET /api/surveys/summary: SPEC's metrics over surveys sent in [from, to), overall and per group. */
@Injectable()
export class SurveySummaryService {
  constructor(
    private readonly repo: SurveysRepository,
    metrics: Metrics,
  ) {
    // Read from the database at scrape time: the worker that left such a mail may be dead.
    const count = () => repo.countInDoubt(IN_DOUBT_AFTER_SECONDS, IN_DOUBT_WINDOW_DAYS);
    new Gauge({
      name: 'keepdesk_survey_mails_in_doubt',
      help: `Survey mails of the last ${IN_DOUBT_WINDOW_DAYS} days recorded sent whose answer to end-of-data was never read (worker killed, reply timed out): not resent, may not have arrived`,
      registers: [metrics.registry],
      async collect() {
        this.set(await count());
      },
    });
  }

  async summary(q: SurveySummaryQuery) {
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * DAY);
    if (from >= to) throw invalid('from', 'must be before to');
    const groupBy = q.groupBy ? [...new Set(q.groupBy.split(','))] : [];
    if (groupBy.filter((g) => g === 'day' || g === 'week' || g === 'month').length > 1) throw invalid('groupBy', 'may contain only one of day, week, month');
    const hist = await this.repo.histograms(from, to, groupBy);
    const groups = new Map<string, { key: Record<string, unknown>; rows: HistogramRow[] }>();
    for (const r of hist) {
      const key: Record<string, unknown> = {};
      for (const g of groupBy) {
        if (g === 'agent') Object.assign(key, { agentId: r.agent_id ?? null, agentName: r.agent_name ?? null });
        else if (g === 'team') Object.assign(key, { teamId: r.team_id ?? null, teamName: r.team_name ?? null });
        else if (g === 'channel') key.channel = r.channel ?? null;
        else key.period = r.period ? new Date(r.period).toISOString() : null;
      }
      const k = JSON.stringify(key);
      const g = groups.get(k) ?? { key, rows: [] };
      g.rows.push(r);
      groups.set(k, g);
    }
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      groupBy,
      overall: computeMetrics(toHistograms(hist)),
      groups: groupBy.length
        ? [...groups.values()].map((g) => ({ ...g.key, ...computeMetrics(toHistograms(g.rows)) })).sort((a, b) => b.sent - a.sent)
        : [],
    };
  }
}

function toHistograms(rows: HistogramRow[]): Histogram[] {
  const byType = new Map<string, Histogram>();
  for (const r of rows) {
    const h = byType.get(r.type) ?? { type: r.type as SurveyType, sent: 0, scores: new Map<number, number>() };
    h.sent += r.n;
    if (r.score !== null) h.scores.set(r.score, (h.scores.get(r.score) ?? 0) + r.n);
    byType.set(r.type, h);
  }
  return [...byType.values()];
}
