import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HandlesJob, JOB_QUEUE, JobHandler, JobName, JobPayloads, QueueService } from '@keepdesk/core';
import { SurveyAnswersService } from './survey-answers.service';
import { surveyReminderJobId, surveySendJobId } from './survey-hooks';
import { SEND_LEASE_SECONDS, SEND_TIMEOUT_MS, SurveySender } from './survey-sender.service';
import { SurveysRepository } from './surveys.repository';

@Injectable()
@HandlesJob(JobName.SurveySend)
export class SurveySendProcessor implements JobHandler<JobName.SurveySend> {
  constructor(private readonly sender: SurveySender) {}

  handle({ ticketId }: JobPayloads[JobName.SurveySend]) {
    return this.sender.send(ticketId);
  }
}

@Injectable()
@HandlesJob(JobName.SurveyReminder)
export class SurveyReminderProcessor implements JobHandler<JobName.SurveyReminder> {
  constructor(private readonly sender: SurveySender) {}

  handle({ surveyId }: JobPayloads[JobName.SurveyReminder]) {
    return this.sender.remind(surveyId);
  }
}

const LIVE = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);

/**
 * The database says what is owed; this sweep makes sure a job exists for it: surveys past due
 * (job lost, or its worker killed while holding the claim), reminders past due, and low-score
 * follow-ups not yet opened. Every worker runs it; job ids keep the work single.
 * SURVEY_SWEEP_MS sets the period (default 30 s).
 */
@Injectable()
export class SurveySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SurveySweeper.name);
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly repo: SurveysRepository,
    private readonly queues: QueueService,
    private readonly answers: SurveyAnswersService,
  ) {}

  onApplicationBootstrap(): void {
    const ms = Number(process.env.SURVEY_SWEEP_MS) || 30000;
    this.timer = setInterval(() => void this.sweep(), ms);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Whether a job will still run. An "active" job older than a send can take belongs to a worker
   * that died: BullMQ would notice the stall only after its lock expires (30 s or more), so it
   * does not count as live. A second job for a survey is harmless (row lock, state check).
   */
  private async live(name: JobName, id: string): Promise<boolean> {
    const job = await this.queues.queue(JOB_QUEUE[name]).getJob(id);
    if (!job) return false;
    const state = await job.getState();
    if (state === 'active') return Date.now() - (job.processedOn ?? Date.now()) < SEND_TIMEOUT_MS + 5000;
    return LIVE.has(state);
  }

  async sweep(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const s of await this.repo.overdueSends(SEND_LEASE_SECONDS, SEND_LEASE_SECONDS, 500)) {
        // A claim past its lease: its worker died (its job may still look active until BullMQ
        // notices the stall), so queue a takeover at once. A scheduled one: only if no job is live.
        if (s.state === 'scheduled' && (await this.live(JobName.SurveySend, surveySendJobId(s.ticket_id, s.schedule_version)))) continue;
        await this.queues.add(JobName.SurveySend, { ticketId: s.ticket_id }, { jobId: surveySendJobId(s.ticket_id, s.schedule_version, `.s${s.send_attempts}`) });
      }
      for (const r of await this.repo.overdueReminders(60, 500)) {
        if (await this.live(JobName.SurveyReminder, surveyReminderJobId(r.id))) continue;
        await this.queues.add(JobName.SurveyReminder, { surveyId: r.id }, { jobId: surveyReminderJobId(r.id, '.s') });
      }
      for (const f of await this.repo.missingFollowUps(100)) await this.answers.ensureFollowUp(f.id);
    } catch (e) {
      this.logger.warn(`survey sweep failed: ${(e as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
