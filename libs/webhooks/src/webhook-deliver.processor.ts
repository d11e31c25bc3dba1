import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HandlesJob, JobHandler, JobName, JobPayloads } from '@keepdesk/core';
import { signPayload } from './webhook-signature';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/** BullMQ's default for every job (queue.service DEFAULTS): the last attempt marks the delivery failed. */
const MAX_ATTEMPTS = 10;
const TIMEOUT_MS = 10000;
const LEASE_SECONDS = 30;

class RetryLater extends Error {}

/**
 * POSTs one delivery: `{id, type, createdAt, data}` signed with the webhook's secret. Non-2xx and
 * network errors throw, so BullMQ retries with exponential backoff; each attempt is logged on the row.
 */
@Injectable()
@HandlesJob(JobName.WebhookDeliver)
export class WebhookDeliverProcessor implements JobHandler<JobName.WebhookDeliver> {
  constructor(private readonly repo: WebhooksRepository) {}

  async handle({ deliveryId }: JobPayloads[JobName.WebhookDeliver], meta: { attemptsMade: number }): Promise<string> {
    const d = await this.repo.claim(deliveryId, LEASE_SECONDS);
    if (!d) {
      const current = await this.repo.status(deliveryId);
      // Not visible yet (emitted in a transaction that has not committed) or held by another worker.
      if (!current || current.status === 'pending') throw new RetryLater(`delivery ${deliveryId} not claimable yet`);
      return current.status;
    }
    const body = JSON.stringify({ id: d.event_id, type: d.event_type, createdAt: new Date(d.created_at).toISOString(), data: d.payload });
    const timestamp = Math.floor(Date.now() / 1000);
    let code: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Keepdesk-Webhooks/1',
          'x-keepdesk-event': d.event_type,
          'x-keepdesk-event-id': d.event_id,
          'x-keepdesk-delivery': d.id,
          'x-keepdesk-timestamp': String(timestamp),
          'x-keepdesk-signature': signPayload(d.secret, timestamp, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      code = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (e) {
      error = (e as Error).message.slice(0, 500);
    }
    if (!error) {
      await this.repo.finish(d.id, { status: 'delivered', code, error: null, retryInSeconds: 0 });
      return 'delivered';
    }
    // Counted on the row too: a job re-queued by the sweep starts BullMQ's count afresh.
    const last = Math.max(meta.attemptsMade + 1, d.attempts) >= MAX_ATTEMPTS;
    await this.repo.finish(d.id, { status: last ? 'failed' : 'pending', code, error, retryInSeconds: 2 ** meta.attemptsMade });
    if (last) return 'failed';
    throw new Error(`webhook delivery ${d.id} failed: ${error}`);
  }
}

/**
 * The database, not the queue, says what is owed: every minute each worker re-queues pending
 * deliveries whose job was lost. Job ids keep two workers from queueing the same one twice.
 */
@Injectable()
export class WebhookSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookSweeper.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly repo: WebhooksRepository,
    private readonly webhooks: WebhooksService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), 60000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async sweep(): Promise<number> {
    try {
      const lost = await this.repo.overdue(600, 500);
      for (const d of lost) await this.webhooks.enqueue([d.id], 0, `.s${d.attempts}`);
      return lost.length;
    } catch (e) {
      this.logger.warn(`webhook sweep failed: ${(e as Error).message}`);
      return 0;
    }
  }
}
