import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig, HandlesJob, JobHandler, JobName, JobPayloads, QueueName, QueueService, REDIS } from '@keepdesk/core';
import type Redis from 'ioredis';
import { FireOutcome, SlaFireService } from './sla-fire.service';
import { SlaReconciler } from './sla-reconciler.service';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Grace before the periodic reconcile fires an instant itself rather than trusting its job. */
const RECONCILE_GRACE_MS = 2000;

@Injectable()
@HandlesJob(JobName.SlaFire)
export class SlaFireProcessor implements JobHandler<JobName.SlaFire> {
  constructor(private readonly firer: SlaFireService) {}

  async handle(p: JobPayloads[JobName.SlaFire]): Promise<FireOutcome> {
    for (let i = 0; ; i++) {
      const r = await this.firer.fire(p.timerId, p.version, p.kind);
      // Early only when this host's clock is behind the one that scheduled it; wait out the difference.
      if (r.result !== 'early' || i >= 3) return r;
      await sleep(Math.min(r.waitMs + 5, 10_000));
    }
  }
}

@Injectable()
@HandlesJob(JobName.SlaReconcile)
export class SlaReconcileProcessor implements JobHandler<JobName.SlaReconcile> {
  constructor(private readonly reconciler: SlaReconciler) {}

  handle() {
    return this.reconciler.reconcile(RECONCILE_GRACE_MS, this.reconciler.periodicHorizonMs());
  }
}

/**
 * Keeps the schedule alive across workers and Redis restarts:
 * - at start, reconciles (a worker killed with -9 left overdue timers behind) and (re)declares the
 *   repeatable `sla.reconcile`, which BullMQ runs once per interval across all workers;
 * - every second, a sentinel key tells whether Redis lost its data (FLUSHDB, restart without
 *   persistence): the first worker to notice (SET NX) re-declares the schedule and reconciles at once.
 */
@Injectable()
export class SlaWatchdog implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SlaWatchdog.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(
    private readonly queues: QueueService,
    private readonly reconciler: SlaReconciler,
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get sentinelKey(): string {
    return `${this.config.redisPrefix}:sla:alive`;
  }

  onApplicationBootstrap(): void {
    this.running = this.start().finally(() => (this.running = null));
    if (this.redis) {
      this.timer = setInterval(() => void this.check(), Math.min(1000, this.config.slaReconcileMs));
      this.timer.unref();
    }
  }

  /** A restart on a Redis that kept its jobs only fires what came due meanwhile; an empty one is rebuilt. */
  private async start(): Promise<void> {
    let empty = true;
    try {
      empty = !this.redis || (await this.redis.set(this.sentinelKey, String(Date.now()), 'NX')) === 'OK';
    } catch (e) {
      this.logger.warn(`SLA watchdog: ${(e as Error).message}`);
    }
    await this.rebuild(empty ? 'worker start' : 'worker start, queue intact', empty ? this.reconciler.rebuildHorizonMs() : 0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async check(): Promise<void> {
    if (this.running || this.stopped || !this.redis) return;
    try {
      const fresh = await this.redis.set(this.sentinelKey, String(Date.now()), 'NX');
      if (fresh === 'OK') this.running = this.rebuild('Redis was found empty', this.reconciler.rebuildHorizonMs()).finally(() => (this.running = null));
    } catch (e) {
      this.logger.warn(`SLA watchdog: ${(e as Error).message}`);
    }
  }

  private async rebuild(why: string, horizonMs: number): Promise<void> {
    try {
      if (this.redis) await this.redis.set(this.sentinelKey, String(Date.now()));
      await this.queues
        .queue(QueueName.Sla)
        .upsertJobScheduler('sla.reconcile', { every: this.config.slaReconcileMs }, { name: JobName.SlaReconcile, data: {}, opts: { attempts: 1 } });
      const r = await this.reconciler.reconcile(0, horizonMs);
      this.logger.log(`SLA schedule rebuilt (${why}): ${r.scheduled} job(s) queued, ${r.firedDirectly} overdue fired`);
    } catch (e) {
      // The next check or the periodic reconcile tries again.
      if (this.redis) await this.redis.del(this.sentinelKey).catch(() => undefined);
      this.logger.warn(`SLA schedule rebuild failed (${why}): ${(e as Error).message}`);
    }
  }
}
