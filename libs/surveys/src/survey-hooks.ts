import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { JobName, QueueService } from '@keepdesk/core';
import { TicketChange, TicketHook, TicketHooks, TicketViewExtension, TicketViews } from '@keepdesk/tickets';
import { EntityManager } from 'typeorm';
import { SurveysRepository } from './surveys.repository';

export const surveySendJobId = (ticketId: string, version: number, suffix = '') => `survey.${ticketId}.${version}${suffix}`;
export const surveyReminderJobId = (surveyId: string, suffix = '') => `survey-reminder.${surveyId}${suffix}`;

/**
 * On `solved` (by an agent, or a message that solved it) the survey row is written in the ticket's
 * own transaction — the database is the record that a survey is owed — and the delayed
 * `survey.send` job is queued after commit, its id carrying the schedule version so a reschedule
 * (solved again after a reopen) gets a new job and the superseded one finds nothing to do.
 */
@Injectable()
export class SurveyScheduler implements TicketHook, OnModuleInit {
  readonly name = 'surveys';
  private readonly logger = new Logger(SurveyScheduler.name);
  private readonly owed = new WeakMap<TicketChange, { ticketId: string; version: number; delayMs: number }>();

  constructor(
    private readonly hooks: TicketHooks,
    private readonly repo: SurveysRepository,
    private readonly queues: QueueService,
  ) {}

  onModuleInit(): void {
    this.hooks.register(this);
  }

  async onTicketChange(tx: EntityManager, change: TicketChange): Promise<void> {
    if (change.kind === 'created' || change.ticket.status !== 'solved' || change.previous.status === 'solved') return;
    const t = change.ticket;
    const settings = await this.repo.settingsFor(tx, t.teamId);
    if (!settings.enabled) return;
    const r = await this.repo.schedule(tx, {
      ticketId: t.id,
      customerId: t.customerId,
      teamId: t.teamId,
      type: settings.type,
      channel: settings.channel,
      delaySeconds: settings.delayMinutes * 60,
    });
    if (r) this.owed.set(change, { ticketId: t.id, version: r.schedule_version, delayMs: Number(r.delay_ms) });
  }

  async afterCommit(change: TicketChange): Promise<void> {
    const owed = this.owed.get(change);
    if (!owed) return;
    try {
      await this.queues.add(JobName.SurveySend, { ticketId: owed.ticketId }, { jobId: surveySendJobId(owed.ticketId, owed.version), delay: owed.delayMs });
    } catch (e) {
      // The row is durable; the worker's sweep queues it.
      this.logger.warn(`queueing survey for ticket ${owed.ticketId} failed: ${(e as Error).message}`);
    }
  }
}

/** `survey` on GET /api/tickets/:id: `{type, score, comment, sentAt, answeredAt, …}` or null. */
@Injectable()
export class SurveyTicketView implements TicketViewExtension, OnModuleInit {
  readonly field = 'survey' as const;
  readonly detailOnly = true;
  readonly empty = null;

  constructor(
    private readonly views: TicketViews,
    private readonly repo: SurveysRepository,
  ) {}

  onModuleInit(): void {
    this.views.register(this);
  }

  async load(m: EntityManager, ticketIds: string[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    for (const s of await this.repo.forTickets(m, ticketIds)) {
      out.set(s.ticket_id, {
        id: s.id,
        type: s.type,
        state: s.state,
        score: s.score,
        comment: s.comment,
        sentAt: s.sent_at ? new Date(s.sent_at).toISOString() : null,
        answeredAt: s.answered_at ? new Date(s.answered_at).toISOString() : null,
        agentId: s.agent_id,
        followUpTicketId: s.follow_up_ticket_id,
      });
    }
    return out;
  }
}
