import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { Worker, WorkerOptions } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/config';
import { QUEUE_CONNECTION, QueueConnection } from './queue.service';
import { assertEveryJobHasHandler, HANDLES_JOB, JOB_QUEUE, JobHandler, JobName, QueueName } from './queues';

const CONCURRENCY: Record<QueueName, number> = {
  [QueueName.Tickets]: 2,
  [QueueName.Sla]: 50,
  [QueueName.Surveys]: 20,
  [QueueName.Webhooks]: 20,
  [QueueName.Retention]: 1,
};

/**
 * The worker's side of the queues: finds every @HandlesJob provider, refuses to boot if a job
 * has none, and runs one BullMQ Worker per queue. Lives in the worker app only.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(JobRunner.name);
  private readonly workers: Worker[] = [];
  private readonly handlers = new Map<JobName, JobHandler>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    @Inject(QUEUE_CONNECTION) private readonly connection: QueueConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Called at boot; exposed so the boot check can run without starting workers. */
  collectHandlers(): Map<JobName, JobHandler> {
    for (const wrapper of this.discovery.getProviders()) {
      const { metatype, instance } = wrapper;
      if (!metatype || !instance) continue;
      const name = this.reflector.get<JobName | undefined>(HANDLES_JOB, metatype as object as () => void);
      if (!name) continue;
      if (this.handlers.has(name)) throw new Error(`job ${name} has two handlers`);
      this.handlers.set(name, instance as JobHandler);
    }
    assertEveryJobHasHandler(this.handlers.keys());
    return this.handlers;
  }

  onApplicationBootstrap(): void {
    this.collectHandlers();
    for (const queue of Object.values(QueueName)) {
      const worker = new Worker(
        queue,
        async (job) => {
          const handler = this.handlers.get(job.name as JobName);
          if (!handler || JOB_QUEUE[job.name as JobName] !== queue) throw new Error(`unknown job ${job.name} on ${queue}`);
          return handler.handle(job.data, { jobId: job.id ?? '', attemptsMade: job.attemptsMade });
        },
        { ...this.connection, prefix: this.config.redisPrefix, concurrency: CONCURRENCY[queue] } as WorkerOptions,
      );
      worker.on('failed', (job, err) => this.logger.warn(`${job?.name} ${job?.id} failed (attempt ${job?.attemptsMade}): ${err.message}`));
      worker.on('error', (err) => this.logger.warn(`worker ${queue}: ${err.message}`));
      this.workers.push(worker);
    }
    this.logger.log(`processing ${this.handlers.size} job types on ${this.workers.length} queues`);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close().catch(() => undefined)));
  }
}
