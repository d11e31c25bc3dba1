import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { JobName, QueueService } from '@keepdesk/core';
import { TicketsService } from '@keepdesk/tickets';
import { WebhooksService } from '@keepdesk/webhooks';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { newcombeInterval, wilsonInterval } from '../models/intervals';
import { CustomerHealthService } from '../health/customer-health.service';
import { ModelRepository } from '../model/model.repository';
import { ChurnRepository, ChurnSettings } from './churn.repository';
import { inHoldout } from './holdout';

const SCORE_BATCH = 500;
const r4 = (x: number | null) => (x === null ? null : Math.round(x * 10000) / 10000);

@Injectable()
export class ChurnService {
  private readonly logger = new Logger(ChurnService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: ChurnRepository,
    private readonly models: ModelRepository,
    private readonly health: CustomerHealthService,
    private readonly queue: QueueService,
    @Optional() private readonly tickets?: TicketsService,
    @Optional() private readonly webhooks?: WebhooksService,
  ) {}

  settings() {
    return this.repo.settings(this.ds.manager);
  }

  async saveSettings(s: ChurnSettings): Promise<ChurnSettings> {
    await this.repo.saveSettings(this.ds.manager, s);
    return this.repo.settings(this.ds.manager);
  }

  /** POST /api/churn/run: a new run, recorded, then queued. */
  async requestRun(): Promise<{ runId: string; jobId: string }> {
    const run = await this.repo.ensureRun(this.ds.manager, `manual.${randomUUID()}`);
    const jobId = `churn.run.${run.id}`;
    await this.queue.add(JobName.ChurnRun, { runId: run.id }, { jobId, attempts: 3 });
    return { runId: run.id, jobId };
  }

  /** The daily schedule's run: keyed by the UTC date, so however many workers fire it, it runs once. */
  async scheduledRunId(now = new Date()): Promise<string | null> {
    const run = await this.repo.ensureRun(this.ds.manager, `daily.${now.toISOString().slice(0, 10)}`);
    return run.status === 'succeeded' || run.status === 'skipped' ? null : run.id;
  }

  /**
   * Scores every customer with orders; each one at or above the threshold passes the cooldown
   * gate at most once per cooldown (DB-enforced), is assigned treated/holdout deterministically,
   * and gets a follow-up row in the same transaction. Actions run afterwards for the run's pending
   * rows, so a retry finishes what a crash left.
   */
  async run(runId: string): Promise<void> {
    const m = this.ds.manager;
    const run = await this.repo.runById(m, runId);
    if (!run || run.status === 'succeeded' || run.status === 'skipped') return;
    const settings = await this.repo.settings(m);
    if (!settings.enabled && run.key.startsWith('daily.')) {
      await this.repo.setRunStatus(m, runId, 'skipped');
      return;
    }
    await this.repo.setRunStatus(m, runId, 'running');
    const model = await this.models.latestFitted(m);
    const now = new Date();
    const counts = { scored: 0, flagged: 0, treated: 0, holdout: 0 };
    let after: string | null = null;
    for (;;) {
      const ids = await this.repo.customersWithOrders(m, after, SCORE_BATCH);
      if (!ids.length) break;
      after = ids[ids.length - 1];
      const scores = await this.health.scoreMany(m, model, ids, now);
      counts.scored += ids.length;
      for (const [customerId, risk] of scores) {
        if (risk.score < settings.threshold) continue;
        counts.flagged++;
        const group = inHoldout(run.key, customerId, settings.holdoutPercent) ? 'holdout' : 'treated';
        const created = await this.ds.transaction(async (tx) => {
          if (!(await this.repo.passCooldown(tx, customerId, settings.cooldownDays))) return false;
          await this.repo.insertFollowUp(tx, {
            runId,
            customerId,
            group,
            riskScore: r4(risk.score) as number,
            action: settings.action,
            actionStatus: group === 'holdout' ? 'skipped' : 'pending',
          });
          return true;
        });
        if (created) counts[group]++;
      }
    }
    await this.performActions(runId, settings);
    await this.repo.setRunStatus(m, runId, 'succeeded', counts);
    this.logger.log(`churn run ${run.key}: ${JSON.stringify(counts)}`);
  }

  private async performActions(runId: string, settings: ChurnSettings): Promise<void> {
    for (const f of await this.repo.pendingOfRun(this.ds.manager, runId)) {
      try {
        if (f.action === 'ticket' && this.tickets) {
          const t = await this.tickets.createSystemTicket({
            subject: 'Proactive check-in: customer at risk of churning',
            body: `This customer's churn-risk score is ${Number(f.risk_score).toFixed(2)} (threshold ${settings.threshold}). Reach out before they are gone.`,
            customerId: f.customer_id,
            teamId: settings.teamId,
            priority: 'normal',
            tags: ['churn-risk'],
            // A run retried after the ticket was opened but before the action was marked done finds it again.
            idempotencyKey: `churn-follow-up:${f.id}`,
          });
          await this.repo.completeAction(this.ds.manager, f.id, 'done', t.id);
        } else if ((f.action === 'webhook' || f.action === 'email') && this.webhooks) {
          // Email goes out through the integrator's automation too: Keepdesk emits the event and
          // the shop's marketing tool sends the mail (see README); no customer mail from here.
          await this.ds.transaction(async (tx) => {
            await this.webhooks!.emit(tx, 'churn.follow_up', { id: f.id, customerId: f.customer_id, riskScore: Number(f.risk_score), action: f.action });
            await this.repo.completeAction(tx, f.id, 'done', null);
          });
        } else {
          await this.repo.completeAction(this.ds.manager, f.id, 'failed', null);
        }
      } catch (e) {
        this.logger.warn(`churn follow-up ${f.id}: ${(e as Error).message}`);
        throw e;
      }
    }
  }

  async followUps(cursor: string | null, limit: number) {
    const list = await this.repo.followUps(this.ds.manager, cursor, limit + 1);
    const page = list.slice(0, limit);
    return {
      items: page.map((f) => ({
        id: f.id,
        customerId: f.customer_id,
        customerExternalId: f.external_id,
        group: f.group,
        riskScore: Number(f.risk_score),
        action: f.action,
        actionStatus: f.action_status,
        ticketId: f.ticket_id,
        createdAt: new Date(f.created_at).toISOString(),
        repurchasedAt: f.repurchased_at ? new Date(f.repurchased_at).toISOString() : null,
      })),
      nextCursor: list.length > limit ? page[page.length - 1].id : null,
    };
  }

  /** Treated vs holdout repurchase within `window` days of the follow-up (matured follow-ups only). */
  async uplift(windowDays: number, asOf = new Date()) {
    const counts = await this.repo.upliftCounts(this.ds.manager, windowDays, asOf);
    const get = (g: string) => {
      const r = counts.find((c) => c.group === g);
      return { n: Number(r?.n ?? 0), k: Number(r?.k ?? 0), immature: Number(r?.immature ?? 0) };
    };
    const t = get('treated');
    const h = get('holdout');
    const side = (c: { n: number; k: number; immature: number }) => {
      const w = wilsonInterval(c.k, c.n);
      return { followUps: c.n, repurchased: c.k, immature: c.immature, rate: r4(w.rate), low: r4(w.low), high: r4(w.high) };
    };
    const d = newcombeInterval(t.k, t.n, h.k, h.n);
    return {
      window: windowDays,
      asOf: asOf.toISOString(),
      treated: side(t),
      holdout: side(h),
      difference: d ? { value: r4(d.difference), low: r4(d.low), high: r4(d.high) } : null,
      definition: 'rate = customers with an order within window days after the follow-up / follow-ups whose window has elapsed; difference = treated − holdout with a 95% Newcombe interval.',
    };
  }
}
