import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig, inTransaction, JobName, QueueService } from '@keepdesk/core';
import { WebhooksService } from '@keepdesk/webhooks';
import { join } from 'node:path';
import { surveyReminderJobId } from './survey-hooks';
import { Locale, resolveLocale } from './survey-i18n';
import { MailSendError, SurveyMailer } from './survey-mailer';
import { renderMail, scoreLinks } from './survey-render';
import { deriveTokenKey, signSurveyToken } from './survey-token';
import { SurveyType } from './survey-types';
import { SurveyRow, SurveysRepository } from './surveys.repository';

/**
 * A claim older than this is presumed dead (its worker crashed) and may be taken over. Safety does
 * not depend on it (only the holder of the current claim id can commit "sent", and end-of-data
 * waits for that commit); it only bounds how long a crashed send waits. SURVEY_SEND_LEASE_SECONDS.
 */
export const SEND_LEASE_SECONDS = Number(process.env.SURVEY_SEND_LEASE_SECONDS) || 45;
/** Hard limit on one SMTP send, connect to final reply (SURVEY_SEND_TIMEOUT_MS). */
export const SEND_TIMEOUT_MS = Number(process.env.SURVEY_SEND_TIMEOUT_MS) || 20000;
const MAX_SEND_ATTEMPTS = 15;

/** Thrown to let BullMQ retry later (backoff), e.g. while another worker holds the claim. */
export class RetryLater extends Error {}

export type SendResult = 'sent' | 'uncertain' | 'lost_claim' | 'not_due' | 'missing' | 'cancelled' | 'skipped' | 'suppressed' | 'failed' | string;

/**
 * Sends surveys and reminders exactly once as far as SMTP allows:
 * 1. claim (one transaction, row lock): re-check the ticket is still solved/closed, settings
 *    enabled, the customer not surveyed within suppressDays (per-customer advisory lock), then
 *    scheduled → sending with a fresh claim id, crediting the current assignee.
 * 2. send with a stable Message-ID; the mailer calls back between the server taking the whole
 *    message and end-of-data, and only a successful `sending → sent` for OUR claim id lets the
 *    end-of-data go out. A crash before that leaves an unterminated DATA the server discards; a
 *    worker whose lease was taken over cannot commit, so cannot send.
 * 3. a refusal after end-of-data undoes the commit (back to scheduled, retried with backoff).
 * The unavoidable window: the process dies after the server accepted end-of-data but its 250
 * is lost, or dies between our commit and the server's refusal — both leave "sent" recorded
 * (at most once, never twice); accepted_at stays null, so such rows can be found.
 */
@Injectable()
export class SurveySender implements OnApplicationShutdown {
  private readonly logger = new Logger(SurveySender.name);
  private readonly tokenKey: Buffer;
  readonly mailer: SurveyMailer;
  private readonly domain: string;

  constructor(
    private readonly repo: SurveysRepository,
    private readonly queues: QueueService,
    private readonly webhooks: WebhooksService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.tokenKey = deriveTokenKey(config.jwtSecret);
    this.mailer = new SurveyMailer({ smtpUrl: config.smtpUrl, outboxDir: join(config.dataDir, 'outbox'), sendTimeoutMs: SEND_TIMEOUT_MS, maxConnections: 10 });
    this.domain = new URL(config.publicUrl).hostname || 'keepdesk.localhost';
  }

  async onApplicationShutdown(): Promise<void> {
    await this.mailer.close();
  }

  messageId(surveyId: string, reminder: boolean): string {
    return `<survey.${surveyId}${reminder ? '.reminder' : ''}@${this.domain}>`;
  }

  pageUrl(s: { id: string; ticket_id: string; expires_at: Date | null }): string {
    const token = signSurveyToken(this.tokenKey, { surveyId: s.id, ticketId: s.ticket_id, expiresAt: new Date(s.expires_at!) });
    return `${this.config.publicUrl}/s/${token}`;
  }

  async send(ticketId: string): Promise<SendResult> {
    const claimId = randomUUID();
    const ds = this.repo.ds;
    const prepared = await inTransaction(ds, async (tx, afterCommit) => {
      const s = await this.repo.lockForSend(tx, ticketId);
      if (!s) return { done: 'missing' as SendResult };
      const now = new Date(s.db_now);
      if (s.state === 'sending' && s.claimed_at && now.getTime() - new Date(s.claimed_at).getTime() < SEND_LEASE_SECONDS * 1000) {
        throw new RetryLater(`survey ${s.id} is being sent by another worker`);
      }
      if (s.state !== 'scheduled' && s.state !== 'sending') return { done: s.state as SendResult };
      // A newer schedule exists (solved again after a reopen): its own job will come.
      if (s.state === 'scheduled' && new Date(s.scheduled_at).getTime() > now.getTime() + 1000) return { done: 'not_due' as SendResult };
      if (s.ticket_status !== 'solved' && s.ticket_status !== 'closed') {
        await this.repo.setState(tx, s.id, 'cancelled', 'reopened');
        return { done: 'cancelled' as SendResult };
      }
      const settings = s.settings;
      if (!settings.enabled) {
        await this.repo.setState(tx, s.id, 'skipped', 'disabled');
        return { done: 'skipped' as SendResult };
      }
      if (settings.channel === 'email' && !s.customer_email) {
        await this.repo.setState(tx, s.id, 'skipped', 'no_email');
        return { done: 'skipped' as SendResult };
      }
      if (s.send_attempts >= MAX_SEND_ATTEMPTS) {
        await this.repo.setState(tx, s.id, 'failed', 'send_failed');
        return { done: 'failed' as SendResult };
      }
      if (settings.suppressDays > 0) {
        await this.repo.lockCustomer(tx, s.customer_id);
        if (await this.repo.recentlySurveyed(tx, s.customer_id, s.id, settings.suppressDays)) {
          await this.repo.setState(tx, s.id, 'suppressed', 'fatigue');
          return { done: 'suppressed' as SendResult };
        }
      }
      const locale = resolveLocale(s.customer_locale, settings.defaultLocale);
      const claimed = await this.repo.claim(tx, s.id, {
        claimId,
        agentId: s.ticket_assignee_id,
        teamId: s.ticket_team_id,
        type: settings.type,
        channel: settings.channel,
        locale,
        expiresDays: settings.expiresDays,
        reminderAfterHours: settings.reminderAfterHours,
        lowScoreThreshold: settings.lowScoreThreshold,
      });
      const { settings: _settings, db_now: _now, ...row } = s;
      void _settings;
      void _now;
      const survey: SurveyRow = {
        ...row,
        type: settings.type,
        channel: settings.channel,
        locale,
        agent_id: s.ticket_assignee_id,
        expires_at: claimed!.expires_at,
        reminder_after_hours: settings.reminderAfterHours,
      };
      if (settings.channel === 'webhook') {
        // One transaction: the delivery is owed exactly when the survey is recorded sent.
        await this.webhooks.emit(tx, 'survey.requested', this.webhookPayload(survey, false), { eventId: `survey.requested.${s.id}`, afterCommit });
        await this.repo.markSent(tx, s.id, claimId, null, true);
        return { done: 'sent' as SendResult, survey };
      }
      return { survey };
    });
    if (!prepared.survey) return prepared.done!;
    const s = prepared.survey;
    if (prepared.done === 'sent') {
      await this.scheduleReminder(s);
      return 'sent';
    }
    const messageId = this.messageId(s.id, false);
    try {
      const ok = await this.mailer.send(this.mail(s, false, messageId), async () => (await this.repo.markSent(ds.manager, s.id, claimId, messageId, false)) === 1);
      if (!ok) return 'lost_claim';
      await this.repo.markAccepted(s.id, claimId);
      await this.scheduleReminder(s);
      return 'sent';
    } catch (e) {
      const err = e instanceof MailSendError ? e : new MailSendError((e as Error).message, false, 'no');
      if (err.committed && err.delivered === 'unknown') {
        this.logger.warn(`survey ${s.id}: ${err.message}; recorded as sent, delivery unknown`);
        await this.repo.noteError(s.id, `delivery unknown: ${err.message}`);
        await this.scheduleReminder(s);
        return 'uncertain';
      }
      await this.repo.release(s.id, claimId, err.message, false);
      throw err;
    }
  }

  async remind(surveyId: string): Promise<SendResult> {
    const claimId = randomUUID();
    const claimed = await this.repo.claimReminder(surveyId, claimId, SEND_LEASE_SECONDS);
    const s = await this.repo.byId(this.repo.ds.manager, surveyId);
    if (!s) return 'missing';
    if (!claimed) {
      if (s.reminder_state === 'sending') throw new RetryLater(`reminder of survey ${surveyId} is being sent by another worker`);
      return s.reminder_state ?? (s.score !== null ? 'answered' : 'not_due');
    }
    if (s.channel === 'webhook') {
      await inTransaction(this.repo.ds, async (tx, afterCommit) => {
        await this.webhooks.emit(tx, 'survey.reminder', this.webhookPayload(s, true), { eventId: `survey.reminder.${s.id}`, afterCommit });
        await tx.query(`UPDATE surveys SET reminder_state = 'sent', reminder_sent_at = now() WHERE id = $1 AND reminder_claim_id = $2`, [s.id, claimId]);
      });
      return 'sent';
    }
    const messageId = this.messageId(s.id, true);
    try {
      const ok = await this.mailer.send(this.mail(s, true, messageId), async () => (await this.repo.markReminderSent(s.id, claimId)) === 1);
      return ok ? 'sent' : 'lost_claim';
    } catch (e) {
      const err = e instanceof MailSendError ? e : new MailSendError((e as Error).message, false, 'no');
      if (err.committed && err.delivered === 'unknown') return 'uncertain';
      await this.repo.releaseReminder(s.id, claimId);
      throw err;
    }
  }

  private async scheduleReminder(s: SurveyRow): Promise<void> {
    const hours = Number(s.reminder_after_hours ?? 0);
    if (!(hours > 0)) return;
    try {
      await this.queues.add(JobName.SurveyReminder, { surveyId: s.id }, { jobId: surveyReminderJobId(s.id), delay: hours * 3600 * 1000 });
    } catch (e) {
      this.logger.warn(`queueing the reminder of survey ${s.id} failed (the sweep will): ${(e as Error).message}`);
    }
  }

  private mail(s: SurveyRow, reminder: boolean, messageId: string) {
    const locale = (s.locale ?? 'en') as Locale;
    const rendered = renderMail({
      locale,
      type: s.type as SurveyType,
      reminder,
      customerName: s.customer_name,
      ticketNumber: s.ticket_number,
      ticketSubject: s.ticket_subject,
      agentName: s.agent_name,
      solvedAt: new Date(s.ticket_solved_at ?? s.ticket_status_changed_at),
      expiresAt: new Date(s.expires_at!),
      pageUrl: this.pageUrl(s),
    });
    return {
      from: this.config.mailFrom,
      to: s.customer_email!,
      messageId,
      ...rendered,
      headers: { 'X-Keepdesk-Survey': s.id, 'X-Keepdesk-Ticket': s.ticket_id },
    };
  }

  private webhookPayload(s: SurveyRow, reminder: boolean): Record<string, unknown> {
    const url = this.pageUrl(s);
    return {
      surveyId: s.id,
      ticketId: s.ticket_id,
      ticketNumber: Number(s.ticket_number),
      subject: s.ticket_subject,
      type: s.type,
      locale: s.locale,
      reminder,
      customer: { id: s.customer_id, email: s.customer_email, name: s.customer_name },
      agent: s.agent_id ? { id: s.agent_id, name: s.agent_name } : null,
      url,
      links: scoreLinks(url, s.type as SurveyType),
      expiresAt: new Date(s.expires_at!).toISOString(),
    };
  }
}
