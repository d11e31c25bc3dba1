import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HandlesJob, JobHandler, JobName, JobPayloads, JOB_QUEUE, QueueService } from '@keepdesk/core';
import { ChurnService } from './churn.service';

/** Daily at 04:00 UTC. */
export const CHURN_SCHEDULE = { id: 'churn.daily', pattern: '0 4 * * *' };

@Injectable()
@HandlesJob(JobName.ChurnRun)
export class ChurnRunProcessor implements JobHandler<JobName.ChurnRun>, OnApplicationBootstrap {
  private readonly logger = new Logger(ChurnRunProcessor.name);

  constructor(
    private readonly churn: ChurnService,
    private readonly queues: QueueService,
  ) {}

  /**
   * The schedule is a BullMQ job scheduler keyed by id: every worker upserts the same one, so it
   * fires once per day across all of them; the run key (daily.<date>) makes a double fire harmless.
   */
  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.queues
        .queue(JOB_QUEUE[JobName.ChurnRun])
        .upsertJobScheduler(CHURN_SCHEDULE.id, { pattern: CHURN_SCHEDULE.pattern, tz: 'UTC' }, { name: JobName.ChurnRun, data: {} });
    } catch (e) {
      this.logger.warn(`could not install the daily churn schedule: ${(e as Error).message}`);
    }
  }

  async handle(payload: JobPayloads[JobName.ChurnRun]): Promise<void> {
    const runId = payload.runId ?? (await this.churn.scheduledRunId());
    if (runId) await this.churn.run(runId);
  }
}
