import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { JobName, QueueService } from '@keepdesk/core';
import { DataSource } from 'typeorm';
import { fitBgNbd } from '../models/bg-nbd';
import { fitGammaGamma } from '../models/gamma-gamma';
import { bgNbdInputs, ModelRepository, modelView, utcDay } from './model.repository';

@Injectable()
export class ModelFitService {
  private readonly logger = new Logger(ModelFitService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: ModelRepository,
    private readonly queue: QueueService,
  ) {}

  /** Records the request, then queues it; the row is the record that a fit is owed. */
  async request(until: Date): Promise<{ jobId: string; id: string; status: string }> {
    const { id } = await this.repo.create(this.ds.manager, until);
    const jobId = `retention.model-fit.${id}`;
    await this.queue.add(JobName.RetentionModelFit, { fitId: id }, { jobId, attempts: 3 });
    return { jobId, id, status: 'queued' };
  }

  async current() {
    return modelView(await this.repo.latest(this.ds.manager));
  }

  /**
   * The fit, run by the worker. BG/NBD over every customer with an order up to `until` (weeks,
   * same-day orders merged, T measured to until's UTC day, as in the CDNOW calibration), then
   * Gamma–Gamma on repeat buyers' mean repeat spend. A fit that cannot succeed (no data) is
   * recorded as failed rather than retried.
   */
  async run(fitId: string): Promise<void> {
    const fit = await this.repo.find(this.ds.manager, fitId);
    if (!fit || !(await this.repo.start(this.ds.manager, fitId))) return;
    const until = new Date(fit.until);
    const summaries = await this.repo.summaries(this.ds.manager, until);
    const orders = summaries.reduce((s, c) => s + c.orders, 0);
    if (!summaries.length) {
      await this.repo.fail(this.ds.manager, fitId, 'no orders placed up to until', 0, 0);
      return;
    }
    const untilDay = utcDay(until);
    const inputs = summaries.map((s) => bgNbdInputs(s, untilDay));
    const started = Date.now();
    try {
      const bg = fitBgNbd(inputs);
      let gg: { p: number; q: number; gamma: number } | null = null;
      try {
        const g = fitGammaGamma(inputs.map((c) => ({ x: c.x, meanSpend: c.meanSpend })));
        if (g.q > 1) gg = g;
      } catch (e) {
        this.logger.warn(`Gamma–Gamma not fitted: ${(e as Error).message}`);
      }
      await this.repo.finish(this.ds.manager, fitId, {
        r: bg.r,
        alpha: bg.alpha,
        a: bg.a,
        b: bg.b,
        p: gg?.p ?? null,
        q: gg?.q ?? null,
        gamma: gg?.gamma ?? null,
        logLikelihood: bg.logLikelihood,
        customers: summaries.length,
        orders,
      });
      this.logger.log(`model ${fitId}: ${summaries.length} customers, ${orders} orders, ${Date.now() - started} ms`);
    } catch (e) {
      await this.repo.fail(this.ds.manager, fitId, (e as Error).message, summaries.length, orders);
    }
  }
}
