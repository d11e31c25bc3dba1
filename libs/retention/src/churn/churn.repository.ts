import { Injectable } from '@nestjs/common';
import { one, rows } from '@keepdesk/core';
import { EntityManager } from 'typeorm';

export interface ChurnSettings {
  threshold: number;
  cooldownDays: number;
  holdoutPercent: number;
  action: 'ticket' | 'email' | 'webhook';
  teamId: string | null;
  enabled: boolean;
}

export const DEFAULT_CHURN_SETTINGS: ChurnSettings = { threshold: 0.7, cooldownDays: 30, holdoutPercent: 10, action: 'ticket', teamId: null, enabled: false };

@Injectable()
export class ChurnRepository {
  async settings(m: EntityManager): Promise<ChurnSettings> {
    const r = await one<{ threshold: number; cooldown_days: number; holdout_percent: number; action: string; team_id: string | null; enabled: boolean }>(
      m,
      `SELECT * FROM churn_settings WHERE id = 1`,
    );
    if (!r) return { ...DEFAULT_CHURN_SETTINGS };
    return {
      threshold: Number(r.threshold),
      cooldownDays: r.cooldown_days,
      holdoutPercent: r.holdout_percent,
      action: r.action as ChurnSettings['action'],
      teamId: r.team_id,
      enabled: r.enabled,
    };
  }

  async saveSettings(m: EntityManager, s: ChurnSettings): Promise<void> {
    await m.query(
      `INSERT INTO churn_settings (id, threshold, cooldown_days, holdout_percent, action, team_id, enabled) VALUES (1, $1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET threshold = EXCLUDED.threshold, cooldown_days = EXCLUDED.cooldown_days, holdout_percent = EXCLUDED.holdout_percent,
         action = EXCLUDED.action, team_id = EXCLUDED.team_id, enabled = EXCLUDED.enabled, updated_at = now()`,
      [s.threshold, s.cooldownDays, s.holdoutPercent, s.action, s.teamId, s.enabled],
    );
  }

  /** Creates the run for `key`, or returns the existing one (retries and doubly-scheduled runs). */
  async ensureRun(m: EntityManager, key: string): Promise<{ id: string; status: string; key: string }> {
    await m.query(`INSERT INTO churn_runs (key, status) VALUES ($1, 'queued') ON CONFLICT (key) DO NOTHING`, [key]);
    return (await one(m, `SELECT id, status, key FROM churn_runs WHERE key = $1`, [key])) as { id: string; status: string; key: string };
  }

  async runById(m: EntityManager, id: string) {
    return one<{ id: string; status: string; key: string }>(m, `SELECT id, status, key FROM churn_runs WHERE id = $1`, [id]);
  }

  async setRunStatus(m: EntityManager, id: string, status: string, counts?: { scored: number; flagged: number; treated: number; holdout: number }, error?: string) {
    await m.query(
      `UPDATE churn_runs SET status = $2, scored = coalesce($3, scored), flagged = coalesce($4, flagged), treated = coalesce($5, treated),
         holdout = coalesce($6, holdout), error = $7, finished_at = CASE WHEN $2 IN ('succeeded', 'failed', 'skipped') THEN now() END WHERE id = $1`,
      [id, status, counts?.scored ?? null, counts?.flagged ?? null, counts?.treated ?? null, counts?.holdout ?? null, error ?? null],
    );
  }

  /** Customers with at least one order, keyset-paginated (the population churn runs score). */
  async customersWithOrders(m: EntityManager, after: string | null, limit: number): Promise<string[]> {
    const r = await rows<{ id: string }>(
      m,
      `SELECT c.id FROM customers c WHERE ($1::uuid IS NULL OR c.id > $1::uuid)
         AND EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)
       ORDER BY c.id LIMIT $2`,
      [after, limit],
    );
    return r.map((x) => x.id);
  }

  /**
   * The cooldown gate: true only for the one caller that moves this customer's next eligible time
   * forward. Row-locked by the upsert, so concurrent runs cannot both pass.
   */
  async passCooldown(m: EntityManager, customerId: string, cooldownDays: number): Promise<boolean> {
    const r = await rows(
      m,
      `INSERT INTO churn_cooldowns (customer_id, next_eligible_at) VALUES ($1, now() + make_interval(days => $2))
       ON CONFLICT (customer_id) DO UPDATE SET next_eligible_at = EXCLUDED.next_eligible_at
       WHERE churn_cooldowns.next_eligible_at <= now()
       RETURNING customer_id`,
      [customerId, cooldownDays],
    );
    return r.length > 0;
  }

  async insertFollowUp(
    m: EntityManager,
    f: { runId: string; customerId: string; group: 'treated' | 'holdout'; riskScore: number; action: string; actionStatus: string },
  ): Promise<{ id: string } | undefined> {
    return one<{ id: string }>(
      m,
      `INSERT INTO churn_follow_ups (run_id, customer_id, "group", risk_score, action, action_status) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (run_id, customer_id) DO NOTHING RETURNING id`,
      [f.runId, f.customerId, f.group, f.riskScore, f.action, f.actionStatus],
    );
  }

  async pendingOfRun(m: EntityManager, runId: string) {
    return rows<{ id: string; customer_id: string; risk_score: number; action: string }>(
      m,
      `SELECT id, customer_id, risk_score, action FROM churn_follow_ups WHERE run_id = $1 AND action_status = 'pending' ORDER BY id`,
      [runId],
    );
  }

  async completeAction(m: EntityManager, id: string, status: 'done' | 'failed', ticketId: string | null) {
    await m.query(`UPDATE churn_follow_ups SET action_status = $2, ticket_id = coalesce($3, ticket_id) WHERE id = $1`, [id, status, ticketId]);
  }

  async followUps(m: EntityManager, cursor: string | null, limit: number) {
    return rows<{
      id: string;
      customer_id: string;
      external_id: string | null;
      group: string;
      risk_score: number;
      action: string;
      action_status: string;
      ticket_id: string | null;
      created_at: Date;
      repurchased_at: Date | null;
    }>(
      m,
      `SELECT f.id, f.customer_id, c.external_id, f."group", f.risk_score, f.action, f.action_status, f.ticket_id, f.created_at,
              (SELECT min(o.placed_at) FROM orders o WHERE o.customer_id = f.customer_id AND o.placed_at > f.created_at) AS repurchased_at
       FROM churn_follow_ups f LEFT JOIN customers c ON c.id = f.customer_id
       WHERE ($1::uuid IS NULL OR (f.created_at, f.id) < (SELECT created_at, id FROM churn_follow_ups WHERE id = $1::uuid))
       ORDER BY f.created_at DESC, f.id DESC LIMIT $2`,
      [cursor, limit],
    );
  }

  /** Per group: follow-ups whose window has elapsed, and those followed by an order within it. */
  async upliftCounts(m: EntityManager, windowDays: number, asOf: Date) {
    return rows<{ group: string; n: string; k: string; immature: string }>(
      m,
      `SELECT f."group",
              count(*) FILTER (WHERE f.created_at <= $2::timestamptz - make_interval(days => $1)) AS n,
              count(*) FILTER (WHERE f.created_at <= $2::timestamptz - make_interval(days => $1) AND EXISTS (
                SELECT 1 FROM orders o WHERE o.customer_id = f.customer_id AND o.placed_at > f.created_at
                  AND o.placed_at <= f.created_at + make_interval(days => $1))) AS k,
              count(*) FILTER (WHERE f.created_at > $2::timestamptz - make_interval(days => $1)) AS immature
       FROM churn_follow_ups f GROUP BY f."group"`,
      [windowDays, asOf.toISOString()],
    );
  }
}
