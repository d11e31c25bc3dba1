import { Inject, Injectable, Logger, OnModuleDestroy, SetMetadata } from '@nestjs/common';
import { JobsOptions, Queue, QueueOptions } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/config';
import { HANDLES_JOB, JOB_QUEUE, JobName, JobPayloads, QueueName } from './queues';

/** Connection options for every BullMQ Queue/Worker: Redis when configured, else the Postgres backend. */
export const QUEUE_CONNECTION = Symbol('QUEUE_CONNECTION');
export type QueueConnection = Pick<QueueOptions, 'connection' | 'prefix'> & Record<string, unknown>;

/** Marks a provider as the handler of one job; the worker discovers it at boot. */
export const HandlesJob = (name: JobName) => SetMetadata(HANDLES_JOB, name);

export interface AddJobOptions {
  /** Deterministic id: a job owed twice is queued once. */
  jobId?: string;
  delay?: number;
  attempts?: number;
  priority?: number;
}

const DEFAULTS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 5000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

@Injectable()
export class QueueService implements OnModuleDestroy {
  private readonly logger = new Logger(QueueService.name);
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    @Inject(QUEUE_CONNECTION) private readonly connection: QueueConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { ...this.connection, prefix: this.config.redisPrefix, defaultJobOptions: DEFAULTS } as QueueOptions);
      q.on('error', (err) => this.logger.warn(`queue ${name}: ${err.message}`));
      this.queues.set(name, q);
    }
    return q;
  }

  async add<N extends JobName>(name: N, payload: JobPayloads[N], opts: AddJobOptions = {}): Promise<void> {
    await this.queue(JOB_QUEUE[name]).add(name, payload, { ...opts, delay: opts.delay && opts.delay > 0 ? Math.ceil(opts.delay) : undefined });
  }

  async addBulk<N extends JobName>(name: N, jobs: { payload: JobPayloads[N]; opts?: AddJobOptions }[]): Promise<void> {
    if (!jobs.length) return;
    await this.queue(JOB_QUEUE[name]).addBulk(
      jobs.map((j) => ({
        name,
        data: j.payload,
        opts: { ...DEFAULTS, ...j.opts, delay: j.opts?.delay && j.opts.delay > 0 ? Math.ceil(j.opts.delay) : undefined },
      })),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
  }
}
