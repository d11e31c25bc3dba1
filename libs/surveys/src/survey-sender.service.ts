import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig, GroupCommit, JobName, QueueService } from '@keepdesk/core';
import { EntityManager } from 'typeorm';
import { WebhooksService } from '@keepdesk/webhooks';
import { join } from 'node:path';
import { surveyReminderJobId } from './survey-hooks';
import { Locale, resolveLocale } from './survey-i18n';
import { MailSendError, MailSlot, SendResult as MailResult, SurveyMailer } from './survey-mailer';
import { renderMail, scoreLinks } from './survey-render';
import { deriveTokenKey, signSurveyToken } from './survey-token';
import { SurveyType } from './survey-types';
import { SurveyRow, SurveysRepository } from './surveys.repository';

/** The send transaction as the steps below see it (SurveySender.inTx). */
interface Tx {
  m: EntityManager;
  open: boolean;
  afterCommit: (() => Promise<void> | void)[];
  /** Commits and runs the after-commit callbacks. */
  commit(): Promise<void>;
  /** Writes COMMIT now (synchronously) and returns its result: for the mailer, next to end-of-data. */
  commitNow(): Promise<unknown>;
  /** Ends the transaction if still open; must come before other connections touch the locked row. */
  rollback(): Promise<void>;
}

/**
 * A 'sending' claim older than this is presumed dead. Only rows written by earlier versions are in
 * that state (sending now holds the row lock instead, released by the database the moment a killed
 * worker's connection drops). SURVEY_SEND_LEASE_SECONDS.
 */
export const SEND_LEASE_SECONDS = Number(process.env.SURVEY_SEND_LEASE_SECONDS) || 45;
/** Hard limit on one SMTP send, connect to end-of-data (SURVEY_SEND_TIMEOUT_MS). */
export const SEND_TIMEOUT_MS = Number(process.env.SURVEY_SEND_TIMEOUT_MS) || 20000;
const MAX_SEND_ATTEMPTS = 15;

/** Thrown to let BullMQ retry later (backoff), e.g. while another worker holds the row. */
export class RetryLater extends Error {}

export type SendOutcome = 'sent' | 'uncertain' | 'not_due' | 'missing' | 'cancelled' | 'skipped' | 'suppressed' | 'failed' | string;

type PgClient = { query(sql: string): Promise<unknown>; readyForQuery?: boolean; _queryable?: boolean; _ending?: boolean };

/** Another transaction holds the survey row (FOR UPDATE NOWAIT): that worker is sending it. */
function isLockBusy(e: unknown): boolean {
  return (e as { code?: string })?.code === '55P03' || (e as { driverError?: { code?: string } })?.driverError?.code === '55P03';
}

/**
 * Sends surveys and reminders exactly once as far as SMTP allows. One transaction per send:
 * 1. lock the survey row (NOWAIT: if another worker holds it, retry later) and re-check: ticket still
 *    solved/closed, settings enabled, the customer not surveyed within suppressDays (per-customer
 *    advisory lock); then write it as sent by this claim (crediting the current assignee), not yet
 *    committed.
 * 2. the SMTP conversation, transaction open and ready; once the server has the whole body, COMMIT
 *    is written to the database and end-of-data to the SMTP server in the same tick (SurveyMailer).
 *    A crash before that tick rolls back (the database drops a dead connection's transaction and
 *    lock at once) and leaves an unterminated DATA that the server discards: the retry sends once.
 * 3. the server's answer: 250 → accepted_at (group-committed); a refusal undoes the commit (back to
 *    scheduled, retried with backoff); no answer → recorded sent, accepted_at NULL ("in doubt").
 * The unavoidable window (RFC 1047): the process dies after end-of-data went out and before it read
 * the answer. Sent is recorded, so it is never sent twice; if the server had refused it, no mail
 * arrived. Such rows keep accepted_at NULL and are counted (keepdesk_survey_mails_in_doubt).
 */
@Injectable()
export class SurveySender implements OnApplicationShutdown {
  private readonly logger = new Logger(SurveySender.name);
  private readonly tokenKey: Buffer;
  readonly mailer: SurveyMailer;
  private readonly domain: string;
  private readonly accepted: GroupCommit<{ id: string; claimId: string }, null>;

  constructor(
    private readonly repo: SurveysRepository,
    private readonly queues: QueueService,
    private readonly webhooks: WebhooksService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.tokenKey = deriveTokenKey(config.jwtSecret);
    this.mailer = new SurveyMailer({ smtpUrl: config.smtpUrl, outboxDir: join(config.dataDir, 'outbox'), sendTimeoutMs: SEND_TIMEOUT_MS, maxConnections: 10 });
    this.domain = new URL(config.publicUrl).hostname || 'keepdesk.localhost';
    this.accepted = new GroupCommit(
      async (items) => {
        await this.repo.markAcceptedBatch(items);
        return items.map(() => ({ ok: true as const, value: null }));
      },
      { maxBatch: 500, maxInFlight: 2 },
    );
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

  send(ticketId: string): Promise<SendOutcome> {
    return this.inSlotAndTx((tx, slot) => this.sendLocked(tx, slot, ticketId));
  }

  remind(surveyId: string): Promise<SendOutcome> {
    return this.inSlotAndTx((tx, slot) => this.remindLocked(tx, slot, surveyId));
  }

  /**
   * The slot first: transactions held open across SMTP never outnumber SMTP connections. The slot
   * (and its SMTP connection) is let go only after the transaction and what follows it are done.
   */
  private async inSlotAndTx<T>(fn: (tx: Tx, slot: MailSlot) => Promise<T>): Promise<T> {
    const slot = await this.mailer.reserve();
    try {
      return await this.inTx((tx) => fn(tx, slot));
    } finally {
      slot.release();
    }
  }

  /**
   * A transaction on its own connection that fn ends: commit(), or the COMMIT it hands the mailer
   * (marked by calling ended()). Whatever fn leaves open is rolled back.
   */
  private async inTx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const qr = this.repo.ds.createQueryRunner();
    const client = (await qr.connect()) as PgClient;
    let broken: Error | undefined;
    const tx: Tx = {
      m: qr.manager,
      open: false,
      afterCommit: [],
      commit: async () => {
        tx.open = false;
        await client.query('COMMIT');
        for (const cb of tx.afterCommit.splice(0)) await Promise.resolve(cb()).catch((e: Error) => this.logger.warn(`after commit: ${e.message}`));
      },
      commitNow: () => {
        // Written synchronously only on an idle, healthy connection; else refuse (nothing sent).
        if (!client.readyForQuery || client._queryable === false || client._ending) throw new Error('database connection not ready to commit');
        tx.open = false;
        const p = client.query('COMMIT');
        p.catch((e: Error) => (broken = e));
        return p;
      },
      rollback: async () => {
        if (!tx.open) return;
        tx.open = false;
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      },
    };
    try {
      await qr.startTransaction();
      tx.open = true;
      return await fn(tx);
    } catch (e) {
      if (isLockBusy(e)) throw new RetryLater('the survey is being sent by another worker');
      throw e;
    } finally {
      await tx.rollback();
      await (qr as unknown as { releasePostgresConnection(err?: Error): Promise<void> }).releasePostgresConnection(broken);
    }
  }

  private async sendLocked(tx: Tx, slot: MailSlot, ticketId: string): Promise<SendOutcome> {
    const claimId = randomUUID();
    const s = await this.repo.lockForSend(tx.m, ticketId);
    const settle = async (state: string, reason: string | null) => {
      await this.repo.setState(tx.m, s!.id, state, reason);
      await tx.commit();
      return state as SendOutcome;
    };
    if (!s) return 'missing';
    const now = new Date(s.db_now);
    // Written by an earlier version: a claim within its lease may still be sending.
    if (s.state === 'sending' && s.claimed_at && now.getTime() - new Date(s.claimed_at).getTime() < SEND_LEASE_SECONDS * 1000) {
      throw new RetryLater(`survey ${s.id} is being sent by another worker`);
    }
    if (s.state !== 'scheduled' && s.state !== 'sending') return s.state as SendOutcome;
    // A newer schedule exists (solved again after a reopen): its own job will come.
    if (s.state === 'scheduled' && new Date(s.scheduled_at).getTime() > now.getTime() + 1000) return 'not_due';
    if (s.ticket_status !== 'solved' && s.ticket_status !== 'closed') return settle('cancelled', 'reopened');
    const settings = s.settings;
    if (!settings.enabled) return settle('skipped', 'disabled');
    if (settings.channel === 'email' && !s.customer_email) return settle('skipped', 'no_email');
    if (s.send_attempts >= MAX_SEND_ATTEMPTS) return settle('failed', 'send_failed');
    const locale = resolveLocale(s.customer_locale, settings.defaultLocale);
    const email = settings.channel === 'email';
    const messageId = email ? this.messageId(s.id, false) : null;
    const claimed = await this.repo.claimSent(tx.m, s.id, {
      claimId,
      messageId,
      accepted: !email || this.mailer.mode === 'outbox',
      agentId: s.ticket_assignee_id,
      teamId: s.ticket_team_id,
      type: settings.type,
      channel: settings.channel,
      locale,
      expiresDays: settings.expiresDays,
      reminderAfterHours: settings.reminderAfterHours,
      lowScoreThreshold: settings.lowScoreThreshold,
      suppressDays: settings.suppressDays,
    });
    // Surveyed within suppressDays (checked under the customer's lock taken with the row).
    if (!claimed) return settle('suppressed', 'fatigue');
    const { settings: _settings, db_now: _now, ...row } = s;
    void _settings;
    void _now;
    const survey: SurveyRow = {
      ...row,
      type: settings.type,
      channel: settings.channel,
      locale,
      agent_id: s.ticket_assignee_id,
      expires_at: claimed.expires_at,
      reminder_after_hours: settings.reminderAfterHours,
    };
    if (!email) {
      // One transaction: the delivery is owed exactly when the survey is recorded sent.
      await this.webhooks.emit(tx.m, 'survey.requested', this.webhookPayload(survey, false), { eventId: `survey.requested.${s.id}`, afterCommit: (cb) => tx.afterCommit.push(cb) });
      await tx.commit();
      await this.scheduleReminder(survey);
      return 'sent';
    }

    let r: MailResult;
    try {
      r = await slot.send(this.mail(survey, false, messageId!), tx.commitNow);
    } catch (e) {
      // Before end-of-data: nothing was committed and the server has no complete message.
      await tx.rollback();
      await this.repo.noteAttempt(s.id, (e as Error).message);
      throw e;
    }
    if (r.commitError) {
      // End-of-data went out, its COMMIT did not: record it now, at most once.
      this.logger.error(`survey ${s.id}: COMMIT failed after end-of-data (${r.commitError.message}); SMTP said: ${r.detail}`);
      if (r.outcome === 'refused') {
        await this.repo.noteAttempt(s.id, r.detail);
        throw new MailSendError(r.detail, r.responseCode);
      }
      await this.repo.repairSent(s.id, claimId, messageId!, r.outcome === 'accepted', `commit failed after end-of-data: ${r.commitError.message}`);
    } else if (r.outcome === 'refused') {
      await this.repo.release(s.id, claimId, r.detail, false);
      throw new MailSendError(r.detail, r.responseCode);
    } else if (r.outcome === 'accepted' && this.mailer.mode === 'smtp') {
      await this.accepted.submit({ id: s.id, claimId }).catch((e: Error) => this.logger.warn(`survey ${s.id}: recording acceptance failed: ${e.message}`));
    }
    if (r.outcome === 'unknown') {
      this.logger.warn(`survey ${s.id}: ${r.detail}; recorded as sent, delivery in doubt (not resent)`);
      await this.repo.noteError(s.id, `delivery unknown: ${r.detail}`);
    }
    await this.scheduleReminder(survey);
    return r.outcome === 'unknown' ? 'uncertain' : 'sent';
  }

  private async remindLocked(tx: Tx, slot: MailSlot, surveyId: string): Promise<SendOutcome> {
    const claimId = randomUUID();
    const s = await this.repo.lockForReminder(tx.m, surveyId);
    if (!s) return 'missing';
    const now = new Date(s.db_now).getTime();
    if (s.state !== 'sent' || s.score !== null) return s.score !== null ? 'answered' : 'not_due';
    if (!s.expires_at || new Date(s.expires_at).getTime() <= now) return 'expired';
    // 'sending' is only written by earlier versions; within its lease it may still be going out.
    const claimedAt = (s as { reminder_claimed_at?: Date | null }).reminder_claimed_at;
    if (s.reminder_state === 'sending' && claimedAt && now - new Date(claimedAt).getTime() < SEND_LEASE_SECONDS * 1000) {
      throw new RetryLater(`reminder of survey ${surveyId} is being sent by another worker`);
    }
    if (s.reminder_state !== null && s.reminder_state !== 'sending') return s.reminder_state;
    await this.repo.claimReminderSent(tx.m, s.id, claimId);
    if (s.channel === 'webhook') {
      await this.webhooks.emit(tx.m, 'survey.reminder', this.webhookPayload(s, true), { eventId: `survey.reminder.${s.id}`, afterCommit: (cb) => tx.afterCommit.push(cb) });
      await tx.commit();
      return 'sent';
    }
    const messageId = this.messageId(s.id, true);
    let r: MailResult;
    try {
      r = await slot.send(this.mail(s, true, messageId), tx.commitNow);
    } catch (e) {
      await tx.rollback();
      throw e;
    }
    if (r.commitError) {
      this.logger.error(`reminder of survey ${s.id}: COMMIT failed after end-of-data (${r.commitError.message}); SMTP said: ${r.detail}`);
      if (r.outcome === 'refused') throw new MailSendError(r.detail, r.responseCode);
      await this.repo.repairReminderSent(s.id, claimId);
    } else if (r.outcome === 'refused') {
      await this.repo.releaseReminder(s.id, claimId);
      throw new MailSendError(r.detail, r.responseCode);
    }
    if (r.outcome === 'unknown') {
      this.logger.warn(`reminder of survey ${s.id}: ${r.detail}; recorded as sent, delivery in doubt (not resent)`);
      return 'uncertain';
    }
    return 'sent';
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
