import { createHash, randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AfterCommit, JobName, notFound, QueueService } from '@keepdesk/core';
import { EntityManager } from 'typeorm';
import { CreateWebhookDto } from './webhooks.dto';
import { DeliveryRow, WebhookRow, WebhooksRepository } from './webhooks.repository';

export interface EmitOptions {
  /**
   * Identity of the event: emitting the same (type, id) twice delivers it once per webhook.
   * Default: payload.id when it is a string, else a hash of type + payload.
   */
  eventId?: string;
  /** When emitting inside a transaction, pass its afterCommit so jobs are queued only once it committed. */
  afterCommit?: AfterCommit;
}

export function webhookJobId(deliveryId: string, suffix = ''): string {
  return `webhook.${deliveryId}${suffix}`;
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function defaultEventId(eventType: string, payload: Record<string, unknown>): string {
  if (typeof payload.id === 'string' && payload.id) return `${eventType}.${payload.id}`;
  return `${eventType}.${createHash('sha256').update(stableJson(payload)).digest('hex').slice(0, 32)}`;
}

/**
 * Outbound webhooks. Other domains call emit() — inside their own transaction when they have one —
 * and the delivery is owed durably (webhook_deliveries) from that commit on; a `webhook.deliver`
 * job POSTs it, signed, retried with exponential backoff.
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    private readonly repo: WebhooksRepository,
    private readonly queues: QueueService,
  ) {}

  async emit(m: EntityManager, eventType: string, payload: Record<string, unknown>, opts: EmitOptions = {}): Promise<number> {
    const eventId = opts.eventId ?? defaultEventId(eventType, payload);
    const body = { ...payload };
    const created = await this.repo.insertDeliveries(m, eventType, eventId, body);
    if (!created.length) return 0;
    const enqueue = () => this.enqueue(created.map((d) => d.id));
    if (opts.afterCommit) opts.afterCommit(enqueue);
    else if (m.queryRunner?.isTransactionActive) {
      // No commit hook: queue with a short delay; a job that runs before the commit finds no row
      // and retries, and the worker's sweep covers a job lost altogether.
      await this.enqueue(
        created.map((d) => d.id),
        1000,
      ).catch((e) => this.logger.warn(`queueing webhook deliveries failed (the sweep will retry): ${(e as Error).message}`));
    } else await enqueue();
    return created.length;
  }

  async enqueue(deliveryIds: string[], delay = 0, suffix = ''): Promise<void> {
    await this.queues.addBulk(
      JobName.WebhookDeliver,
      deliveryIds.map((deliveryId) => ({ payload: { deliveryId }, opts: { jobId: webhookJobId(deliveryId, suffix), delay } })),
    );
  }

  async create(dto: CreateWebhookDto, createdBy: string | null) {
    const secret = dto.secret ?? randomBytes(24).toString('hex');
    const row = await this.repo.create({ url: dto.url, events: [...new Set(dto.events)], secret, createdBy });
    // The secret is shown once, at creation (like an API key), so a generated one can be copied.
    return { ...this.view(row!), secret };
  }

  async list() {
    return { items: (await this.repo.list()).map((w) => this.view(w)) };
  }

  async remove(id: string): Promise<void> {
    if (!(await this.repo.delete(id))) throw notFound('webhook', id);
  }

  async deliveries(id: string, limit = 50) {
    if (!(await this.repo.list()).some((w) => w.id === id)) throw notFound('webhook', id);
    return { items: (await this.repo.listDeliveries(id, limit)).map((d) => this.deliveryView(d)) };
  }

  private view(w: WebhookRow) {
    return { id: w.id, url: w.url, events: w.events, active: w.active, createdAt: new Date(w.created_at).toISOString() };
  }

  private deliveryView(d: DeliveryRow) {
    return {
      id: d.id,
      eventId: d.event_id,
      eventType: d.event_type,
      status: d.status,
      attempts: d.attempts,
      lastStatusCode: d.last_status_code,
      lastError: d.last_error,
      deliveredAt: d.delivered_at ? new Date(d.delivered_at).toISOString() : null,
      createdAt: new Date(d.created_at).toISOString(),
    };
  }
}
