import { Injectable } from '@nestjs/common';
import { affected, one, rows } from '@keepdesk/core';
import { DataSource, EntityManager } from 'typeorm';

export interface WebhookRow {
  id: string;
  url: string;
  events: string[];
  secret: string;
  active: boolean;
  created_at: Date;
}

export interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  payload: Record<string, unknown>;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date;
  delivered_at: Date | null;
  created_at: Date;
}

/** The only code of this domain that touches Postgres. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly ds: DataSource) {}

  create(input: { url: string; events: string[]; secret: string; createdBy: string | null }): Promise<WebhookRow | undefined> {
    return one<WebhookRow>(
      this.ds.manager,
      `INSERT INTO webhooks (url, events, secret, created_by) VALUES ($1, $2, $3, $4)
       RETURNING id, url, events, secret, active, created_at`,
      [input.url, input.events, input.secret, input.createdBy],
    );
  }

  list(): Promise<WebhookRow[]> {
    return rows<WebhookRow>(this.ds.manager, `SELECT id, url, events, secret, active, created_at FROM webhooks ORDER BY created_at, id`);
  }

  delete(id: string): Promise<number> {
    return affected(this.ds.manager, `DELETE FROM webhooks WHERE id = $1`, [id]);
  }

  /**
   * One delivery row per subscribed webhook, skipping (webhook, event id) pairs already owed or done:
   * this ON CONFLICT is what makes emit() idempotent.
   */
  insertDeliveries(m: EntityManager, eventType: string, eventId: string, payload: Record<string, unknown>): Promise<{ id: string }[]> {
    return rows<{ id: string }>(
      m,
      `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, payload)
       SELECT w.id, $2, $1, $3::jsonb FROM webhooks w
        WHERE w.active AND (w.events @> ARRAY[$1]::text[] OR w.events @> ARRAY['*']::text[])
       ON CONFLICT (webhook_id, event_id) DO NOTHING
       RETURNING id`,
      [eventType, eventId, JSON.stringify(payload)],
    );
  }

  /** Takes the delivery for one attempt, unless it is done or another worker holds it. */
  claim(id: string, leaseSeconds: number): Promise<(DeliveryRow & { url: string; secret: string }) | undefined> {
    return one(
      this.ds.manager,
      `UPDATE webhook_deliveries d SET lease_until = now() + make_interval(secs => $2), attempts = d.attempts + 1, updated_at = now()
         FROM webhooks w
        WHERE d.id = $1 AND w.id = d.webhook_id AND d.status = 'pending' AND (d.lease_until IS NULL OR d.lease_until < now())
       RETURNING d.id, d.webhook_id, d.event_id, d.event_type, d.payload, d.status, d.attempts, d.created_at, w.url, w.secret`,
      [id, leaseSeconds],
    );
  }

  status(id: string): Promise<{ status: string } | undefined> {
    return one(this.ds.manager, `SELECT status FROM webhook_deliveries WHERE id = $1`, [id]);
  }

  finish(id: string, r: { status: 'pending' | 'delivered' | 'failed'; code: number | null; error: string | null; retryInSeconds: number }): Promise<number> {
    return affected(
      this.ds.manager,
      `UPDATE webhook_deliveries SET status = $2, last_status_code = $3, last_error = $4, lease_until = NULL,
              delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE NULL END,
              next_attempt_at = now() + make_interval(secs => $5), updated_at = now()
        WHERE id = $1`,
      [id, r.status, r.code, r.error, r.retryInSeconds],
    );
  }

  listDeliveries(webhookId: string, limit: number): Promise<DeliveryRow[]> {
    return rows<DeliveryRow>(
      this.ds.manager,
      `SELECT id, webhook_id, event_id, event_type, payload, status, attempts, last_status_code, last_error, next_attempt_at, delivered_at, created_at
         FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at DESC, id LIMIT $2`,
      [webhookId, limit],
    );
  }

  /** Pending deliveries whose job was lost (crash between commit and enqueue, Redis flushed). */
  overdue(graceSeconds: number, limit: number): Promise<{ id: string; attempts: number }[]> {
    return rows(
      this.ds.manager,
      `SELECT id, attempts FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at < now() - make_interval(secs => $1)
          AND (lease_until IS NULL OR lease_until < now())
        ORDER BY next_attempt_at LIMIT $2`,
      [graceSeconds, limit],
    );
  }
}
