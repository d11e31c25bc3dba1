import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig, HandlesJob, JOB_QUEUE, JobHandler, JobName, QueueService } from '@keepdesk/core';
import { TicketsService } from './tickets.service';

/** Solved tickets close after AUTO_CLOSE_DAYS (default 4, as Zendesk does); hourly, once across workers. */
@Injectable()
@HandlesJob(JobName.TicketsAutoClose)
export class AutoCloseProcessor implements JobHandler<JobName.TicketsAutoClose>, OnApplicationBootstrap {
  constructor(
    private readonly tickets: TicketsService,
    private readonly queues: QueueService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // A job scheduler has one id, so every worker upserting it still yields one schedule.
    await this.queues.queue(JOB_QUEUE[JobName.TicketsAutoClose]).upsertJobScheduler('tickets.auto-close', { every: 3600_000 }, { name: JobName.TicketsAutoClose, data: {} });
  }

  async handle(): Promise<{ closed: number }> {
    return { closed: await this.tickets.autoClose(this.config.autoCloseDays) };
  }
}
