import { Injectable } from '@nestjs/common';
import { affected, one, rows } from '@keepdesk/core';
import { DataSource, EntityManager } from 'typeorm';
import { DEFAULT_SETTINGS, SurveySettings } from './survey-types';

type Q = Pick<EntityManager, 'query'>;

/** A survey with what sending and answering need from its ticket and customer. */
export interface SurveyRow {
  id: string;
  ticket_id: string;
  customer_id: string;
  team_id: string | null;
  type: string;
  channel: string;
  state: string;
  schedule_version: number;
  scheduled_at: Date;
  claim_id: string | null;
  claimed_at: Date | null;
  send_attempts: number;
  sent_at: Date | null;
  accepted_at: Date | null;
  message_id: string | null;
  agent_id: string | null;
  locale: string | null;
  expires_at: Date | null;
  reminder_after_hours: number | null;
  reminder_state: string | null;
  low_score_threshold: number | null;
  score: number | null;
  comment: string | null;
  answered_at: Date | null;
  low_score: boolean;
  follow_up_ticket_id: string | null;
  // joined
  ticket_status: string;
  ticket_subject: string;
  ticket_number: string;
  ticket_team_id: string | null;
  ticket_assignee_id: string | null;
  ticket_solved_at: Date | null;
  ticket_status_changed_at: Date;
  customer_email: string | null;
  customer_name: string | null;
  customer_locale: string | null;
  agent_name: string | null;
}

const SURVEY_SELECT = `SELECT s.*, t.status AS ticket_status, t.subject AS ticket_subject, t.number::text AS ticket_number,
       t.team_id AS ticket_team_id, t.assignee_id AS ticket_assignee_id, t.solved_at AS ticket_solved_at,
       t.status_changed_at AS ticket_status_changed_at, c.email AS customer_email, c.name AS customer_name,
       c.locale AS customer_locale, u.name AS agent_name
  FROM surveys s JOIN tickets t ON t.id = s.ticket_id JOIN customers c ON c.id = s.customer_id
  LEFT JOIN users u ON u.id = COALESCE(s.agent_id, t.assignee_id)`;

interface SettingsRow {
  scope: string;
  team_id: string | null;
  type: string;
  delay_minutes: number;
  expires_days: number;
  reminder_after_hours: number;
  suppress_days: number;
  channel: string;
  enabled: boolean;
  low_score_threshold: number | null;
  default_locale: string;
}

function toSettings(r: SettingsRow | undefined, teamId: string | null): SurveySettings & { inherited: boolean } {
  if (!r) return { teamId, ...DEFAULT_SETTINGS, inherited: true };
  return {
    teamId,
    type: r.type as SurveySettings['type'],
    delayMinutes: Number(r.delay_minutes),
    expiresDays: r.expires_days,
    reminderAfterHours: Number(r.reminder_after_hours),
    suppressDays: Number(r.suppress_days),
    channel: r.channel as SurveySettings['channel'],
    enabled: r.enabled,
    lowScoreThreshold: r.low_score_threshold,
    defaultLocale: r.default_locale,
    inherited: r.scope !== (teamId ?? 'default'),
  };
}

export interface HistogramRow {
  agent_id?: string | null;
  agent_name?: string | null;
  team_id?: string | null;
  team_name?: string | null;
  channel?: string | null;
  period?: Date | null;
  type: string;
  score: number | null;
  n: number;
}

/** The only code of the surveys domain that runs SQL. */
@Injectable()
export class SurveysRepository {
  constructor(readonly ds: DataSource) {}

  // ---- settings

  /** The team's settings, else the workspace default, else the built-in defaults. */
  async settingsFor(m: Q, teamId: string | null): Promise<SurveySettings & { inherited: boolean }> {
    const r = await one<SettingsRow>(
      m,
      `SELECT * FROM survey_settings WHERE scope = ANY($1::text[]) ORDER BY (scope = 'default') LIMIT 1`,
      [teamId ? [teamId, 'default'] : ['default']],
    );
    return toSettings(r, teamId);
  }

  async saveSettings(s: SurveySettings): Promise<void> {
    await this.ds.query(
      `INSERT INTO survey_settings (scope, team_id, type, delay_minutes, expires_days, reminder_after_hours, suppress_days, channel, enabled, low_score_threshold, default_locale)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (scope) DO UPDATE SET type = $3, delay_minutes = $4, expires_days = $5, reminder_after_hours = $6, suppress_days = $7,
         channel = $8, enabled = $9, low_score_threshold = $10, default_locale = $11, updated_at = now()`,
      [s.teamId ?? 'default', s.teamId, s.type, s.delayMinutes, s.expiresDays, s.reminderAfterHours, s.suppressDays, s.channel, s.enabled, s.lowScoreThreshold, s.defaultLocale],
    );
  }

  async teamExists(teamId: string): Promise<boolean> {
    return !!(await one(this.ds.manager, `SELECT 1 FROM teams WHERE id = $1`, [teamId]));
  }

  // ---- scheduling (inside the ticket's transaction)

  /**
   * The ticket was solved: owe it a survey after `delaySeconds`. One row per ticket, ever
   * (UQ_surveys_ticket); solving again after a reopen reschedules a survey not yet sent, never a second one.
   */
  schedule(tx: Q, s: { ticketId: string; customerId: string; teamId: string | null; type: string; channel: string; delaySeconds: number }) {
    return one<{ id: string; schedule_version: number; delay_ms: number }>(
      tx,
      `INSERT INTO surveys (ticket_id, customer_id, team_id, type, channel, state, scheduled_at)
       VALUES ($1, $2, $3, $4, $5, 'scheduled', now() + make_interval(secs => $6))
       ON CONFLICT (ticket_id) DO UPDATE SET state = 'scheduled', state_reason = NULL, scheduled_at = EXCLUDED.scheduled_at,
         team_id = EXCLUDED.team_id, type = EXCLUDED.type, channel = EXCLUDED.channel,
         schedule_version = surveys.schedule_version + 1, updated_at = now()
       WHERE surveys.state IN ('scheduled', 'cancelled')
       RETURNING id, schedule_version, GREATEST(0, EXTRACT(EPOCH FROM (scheduled_at - now())) * 1000)::float8 AS delay_ms`,
      [s.ticketId, s.customerId, s.teamId, s.type, s.channel, s.delaySeconds],
    );
  }

  // ---- sending

  /**
   * The survey (row-locked, NOWAIT), its ticket, customer, the effective settings and the database
   * clock, and the customer's fatigue lock (advisory, so two surveys of one customer are never both
   * in flight; the fatigue check is the next statement, claimSent, whose snapshot sees the other's
   * commit): one round trip.
   */
  async lockForSend(tx: Q, ticketId: string): Promise<(SurveyRow & { db_now: Date; settings: SurveySettings }) | undefined> {
    const r = await one<SurveyRow & { db_now: Date; settings_row: SettingsRow | null; customer_locked?: string }>(
      tx,
      `SELECT s.*, t.status AS ticket_status, t.subject AS ticket_subject, t.number::text AS ticket_number,
              t.team_id AS ticket_team_id, t.assignee_id AS ticket_assignee_id, t.solved_at AS ticket_solved_at,
              t.status_changed_at AS ticket_status_changed_at, c.email AS customer_email, c.name AS customer_name,
              c.locale AS customer_locale, u.name AS agent_name, now() AS db_now,
              pg_advisory_xact_lock(hashtextextended(s.customer_id::text, 5))::text AS customer_locked,
              (SELECT to_jsonb(ss) FROM survey_settings ss WHERE ss.scope IN (t.team_id::text, 'default') ORDER BY (ss.scope = 'default') LIMIT 1) AS settings_row
         FROM surveys s JOIN tickets t ON t.id = s.ticket_id JOIN customers c ON c.id = s.customer_id
         LEFT JOIN users u ON u.id = t.assignee_id
        WHERE s.ticket_id = $1 FOR UPDATE OF s NOWAIT`,
      [ticketId],
    );
    if (!r) return undefined;
    const { settings_row, customer_locked: _locked, ...rest } = r;
    void _locked;
    return { ...rest, settings: toSettings(settings_row ?? undefined, r.ticket_team_id) };
  }

  byId(m: Q, id: string) {
    return one<SurveyRow>(m, `${SURVEY_SELECT} WHERE s.id = $1`, [id]);
  }

  setState(tx: Q, id: string, state: string, reason: string | null) {
    return affected(tx, `UPDATE surveys SET state = $2, state_reason = $3, claim_id = NULL, updated_at = now() WHERE id = $1`, [id, state, reason]);
  }

  /**
   * Inside the send transaction, before the SMTP conversation: the survey as sent by this claim,
   * crediting the current assignee — unless the customer was surveyed within suppressDays (no row
   * returned: fatigue). It takes effect with the COMMIT written next to end-of-data.
   */
  claimSent(
    tx: Q,
    id: string,
    c: {
      claimId: string;
      messageId: string | null;
      accepted: boolean;
      agentId: string | null;
      teamId: string | null;
      type: string;
      channel: string;
      locale: string;
      expiresDays: number;
      reminderAfterHours: number;
      lowScoreThreshold: number | null;
      suppressDays: number;
    },
  ) {
    return one<{ expires_at: Date; send_attempts: number }>(
      tx,
      `UPDATE surveys SET state = 'sent', state_reason = NULL, claim_id = $2, claimed_at = now(), send_attempts = send_attempts + 1,
              sent_at = now(), message_id = $3, accepted_at = CASE WHEN $4 THEN now() END, last_error = NULL,
              agent_id = $5, team_id = $6, type = $7, channel = $8, locale = $9, expires_at = now() + make_interval(days => $10),
              reminder_after_hours = $11, low_score_threshold = $12, updated_at = now()
        WHERE id = $1
          AND ($13::float8 <= 0 OR NOT EXISTS (
                SELECT 1 FROM surveys o WHERE o.customer_id = surveys.customer_id AND o.id <> surveys.id
                   AND ((o.state = 'sent' AND o.sent_at > now() - make_interval(secs => $13 * 86400))
                     OR (o.state = 'sending' AND o.claimed_at > now() - make_interval(secs => $13 * 86400)))))
       RETURNING expires_at, send_attempts`,
      [id, c.claimId, c.messageId, c.accepted, c.agentId, c.teamId, c.type, c.channel, c.locale, c.expiresDays, c.reminderAfterHours, c.lowScoreThreshold, c.suppressDays],
    );
  }

  /** A send that failed before end-of-data was rolled back: count the attempt (towards giving up). */
  noteAttempt(id: string, error: string) {
    return affected(this.ds.manager, `UPDATE surveys SET send_attempts = send_attempts + 1, last_error = $2, updated_at = now() WHERE id = $1 AND state = 'scheduled'`, [
      id,
      error.slice(0, 500),
    ]);
  }

  /**
   * End-of-data went out but the COMMIT next to it failed (the database refused it or the connection
   * broke): record the survey as sent all the same (at most once), unless something else settled it.
   */
  repairSent(id: string, claimId: string, messageId: string, accepted: boolean, error: string) {
    return affected(
      this.ds.manager,
      `UPDATE surveys SET state = 'sent', claim_id = $2, claimed_at = now(), sent_at = now(), message_id = $3,
              accepted_at = CASE WHEN $4 THEN now() END, send_attempts = send_attempts + 1, last_error = $5,
              expires_at = COALESCE(expires_at, now() + interval '14 days'), updated_at = now()
        WHERE id = $1 AND state IN ('scheduled', 'sending')`,
      [id, claimId, messageId, accepted, error.slice(0, 500)],
    );
  }

  /** The servers' 250s, many per statement (group commit). */
  markAcceptedBatch(items: { id: string; claimId: string }[]) {
    return affected(
      this.ds.manager,
      `UPDATE surveys s SET accepted_at = now() FROM unnest($1::uuid[], $2::uuid[]) AS a(id, claim_id)
        WHERE s.id = a.id AND s.claim_id = a.claim_id AND s.state = 'sent' AND s.accepted_at IS NULL`,
      [items.map((i) => i.id), items.map((i) => i.claimId)],
    );
  }

  /** Sent, and the server's answer to end-of-data never came (a crash, a timeout): may not have arrived. */
  async countInDoubt(olderThanSeconds: number, windowDays: number): Promise<number> {
    const r = await one<{ n: number }>(
      this.ds.manager,
      `SELECT count(*)::int AS n FROM surveys WHERE state = 'sent' AND channel = 'email' AND accepted_at IS NULL
          AND sent_at < now() - make_interval(secs => $1) AND sent_at > now() - make_interval(days => $2)`,
      [olderThanSeconds, windowDays],
    );
    return r?.n ?? 0;
  }

  /** The mail did not go out after all: back to scheduled, for the retry. */
  release(id: string, claimId: string, error: string, giveUp: boolean) {
    return affected(
      this.ds.manager,
      `UPDATE surveys SET state = $4, state_reason = CASE WHEN $4 = 'failed' THEN 'send_failed' END, sent_at = NULL, message_id = NULL,
              accepted_at = NULL, claim_id = NULL, last_error = $3, updated_at = now()
        WHERE id = $1 AND claim_id = $2 AND state IN ('sending', 'sent')`,
      [id, claimId, error.slice(0, 500), giveUp ? 'failed' : 'scheduled'],
    );
  }

  noteError(id: string, error: string) {
    return affected(this.ds.manager, `UPDATE surveys SET last_error = $2 WHERE id = $1`, [id, error.slice(0, 500)]);
  }

  // ---- reminder

  /** The survey (row-locked) for its reminder, with the database clock. */
  lockForReminder(tx: Q, id: string) {
    return one<SurveyRow & { db_now: Date }>(tx, `${SURVEY_SELECT.replace('SELECT s.*', 'SELECT s.*, now() AS db_now')} WHERE s.id = $1 FOR UPDATE OF s NOWAIT`, [id]);
  }

  /** Inside the reminder's transaction; takes effect with the COMMIT written next to end-of-data. */
  claimReminderSent(tx: Q, id: string, claimId: string) {
    return affected(
      tx,
      `UPDATE surveys SET reminder_state = 'sent', reminder_claim_id = $2, reminder_claimed_at = now(), reminder_sent_at = now(), updated_at = now() WHERE id = $1`,
      [id, claimId],
    );
  }

  /** As repairSent, for a reminder. */
  repairReminderSent(id: string, claimId: string) {
    return affected(
      this.ds.manager,
      `UPDATE surveys SET reminder_state = 'sent', reminder_claim_id = $2, reminder_sent_at = now(), updated_at = now() WHERE id = $1 AND reminder_state IS NULL`,
      [id, claimId],
    );
  }

  releaseReminder(id: string, claimId: string) {
    return affected(
      this.ds.manager,
      `UPDATE surveys SET reminder_state = NULL, reminder_sent_at = NULL, reminder_claim_id = NULL WHERE id = $1 AND reminder_claim_id = $2 AND reminder_state IN ('sending', 'sent')`,
      [id, claimId],
    );
  }

  // ---- answers

  recordAnswer(tx: Q, id: string, ticketId: string, score: number, comment: string | null, low: boolean) {
    return one<{ answered_at: Date }>(
      tx,
      `UPDATE surveys SET score = $3, comment = $4, low_score = $5, answered_at = now(), updated_at = now()
        WHERE id = $1 AND ticket_id = $2 AND state = 'sent' AND score IS NULL AND expires_at > now()
       RETURNING answered_at`,
      [id, ticketId, score, comment, low],
    );
  }

  addComment(id: string, comment: string) {
    return affected(
      this.ds.manager,
      `UPDATE surveys SET comment = $2, updated_at = now() WHERE id = $1 AND score IS NOT NULL AND comment IS NULL AND expires_at > now()`,
      [id, comment],
    );
  }

  /** The service-recovery ticket already opened for a survey's ticket, if any (idempotent follow-ups). */
  setFollowUp(m: Q, id: string, followUpId: string) {
    return affected(m, `UPDATE surveys SET follow_up_ticket_id = $2 WHERE id = $1`, [id, followUpId]);
  }

  // ---- the sweep: work the database says is owed but whose job may be lost

  overdueSends(graceSeconds: number, leaseSeconds: number, limit: number) {
    return rows<{ ticket_id: string; state: string; schedule_version: number; send_attempts: number }>(
      this.ds.manager,
      `SELECT ticket_id, state, schedule_version, send_attempts FROM surveys
        WHERE (state = 'scheduled' AND scheduled_at < now() - make_interval(secs => $1))
           OR (state = 'sending' AND claimed_at < now() - make_interval(secs => $2))
        ORDER BY scheduled_at LIMIT $3`,
      [graceSeconds, leaseSeconds, limit],
    );
  }

  overdueReminders(graceSeconds: number, limit: number) {
    return rows<{ id: string }>(
      this.ds.manager,
      `SELECT id FROM surveys
        WHERE state = 'sent' AND score IS NULL AND reminder_state IS NULL AND reminder_after_hours > 0 AND expires_at > now()
          AND sent_at + make_interval(secs => reminder_after_hours * 3600 + $1) < now()
        LIMIT $2`,
      [graceSeconds, limit],
    );
  }

  missingFollowUps(limit: number) {
    return rows<{ id: string }>(
      this.ds.manager,
      `SELECT id FROM surveys WHERE low_score AND follow_up_ticket_id IS NULL AND answered_at < now() - interval '1 minute' LIMIT $1`,
      [limit],
    );
  }

  // ---- reads

  forTickets(m: Q, ticketIds: string[]) {
    return rows<{ ticket_id: string; id: string; type: string; state: string; score: number | null; comment: string | null; sent_at: Date | null; answered_at: Date | null; agent_id: string | null; follow_up_ticket_id: string | null }>(
      m,
      `SELECT ticket_id, id, type, state, score, comment, sent_at, answered_at, agent_id, follow_up_ticket_id FROM surveys WHERE ticket_id = ANY($1::uuid[])`,
      [ticketIds],
    );
  }

  /** Score histograms of surveys sent in [from, to), per group: the metrics are folded in survey-metrics.ts. */
  histograms(from: Date, to: Date, groupBy: string[]): Promise<HistogramRow[]> {
    const cols: string[] = [];
    const groups: string[] = [];
    for (const g of groupBy) {
      if (g === 'agent') {
        cols.push('s.agent_id', 'u.name AS agent_name');
        groups.push('s.agent_id', 'u.name');
      } else if (g === 'team') {
        cols.push('s.team_id', 'tm.name AS team_name');
        groups.push('s.team_id', 'tm.name');
      } else if (g === 'channel') {
        cols.push('t.channel');
        groups.push('t.channel');
      } else if (g === 'day' || g === 'week' || g === 'month') {
        cols.push(`date_trunc('${g}', s.sent_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS period`);
        groups.push('period');
      }
    }
    return rows<HistogramRow>(
      this.ds.manager,
      `SELECT ${[...cols, 's.type', 's.score', 'count(*)::int AS n'].join(', ')}
         FROM surveys s JOIN tickets t ON t.id = s.ticket_id
         LEFT JOIN users u ON u.id = s.agent_id LEFT JOIN teams tm ON tm.id = s.team_id
        WHERE s.state = 'sent' AND s.sent_at >= $1 AND s.sent_at < $2
        GROUP BY ${[...groups, 's.type', 's.score'].join(', ')}`,
      [from, to],
    );
  }
}
