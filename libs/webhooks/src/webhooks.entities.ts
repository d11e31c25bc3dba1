import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** An integrator's endpoint: every event whose type is in `events` ('*' = all) is POSTed there, signed with `secret`. */
@Entity('webhooks')
export class WebhookEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  url: string;

  @Column('text', { array: true })
  events: string[];

  /** Kept in clear: it signs every delivery (HMAC), so it cannot be stored hashed. Never returned by the API. */
  @Column('text')
  secret: string;

  @Column('boolean', { default: true })
  active: boolean;

  @Column('uuid', { name: 'created_by', nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/**
 * The delivery log and the durable record that a delivery is owed: one row per (webhook, event id),
 * so emitting the same event twice delivers it once.
 */
@Entity('webhook_deliveries')
@Index('UQ_webhook_deliveries_webhook_event', ['webhookId', 'eventId'], { unique: true })
@Index('IDX_webhook_deliveries_webhook_created', ['webhookId', 'createdAt'])
@Index('IDX_webhook_deliveries_status_next', ['status', 'nextAttemptAt'])
export class WebhookDeliveryEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'webhook_id' })
  webhookId: string;

  @ManyToOne(() => WebhookEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhook_id' })
  webhook?: WebhookEntity;

  @Column('text', { name: 'event_id' })
  eventId: string;

  @Column('text', { name: 'event_type' })
  eventType: string;

  @Column('jsonb')
  payload: Record<string, unknown>;

  /** pending, delivered, failed (gave up after the last attempt) */
  @Column('text', { default: 'pending' })
  status: string;

  @Column('int', { default: 0 })
  attempts: number;

  @Column('int', { name: 'last_status_code', nullable: true })
  lastStatusCode: number | null;

  @Column('text', { name: 'last_error', nullable: true })
  lastError: string | null;

  @Column('timestamptz', { name: 'next_attempt_at', default: () => 'now()' })
  nextAttemptAt: Date;

  /** A worker holds the delivery until then; another attempt waits (no two POSTs at once). */
  @Column('timestamptz', { name: 'lease_until', nullable: true })
  leaseUntil: Date | null;

  @Column('timestamptz', { name: 'delivered_at', nullable: true })
  deliveredAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** Entities of the webhooks domain; registered in migrations/schema.ts. */
export const WEBHOOKS_ENTITIES: Function[] = [WebhookEntity, WebhookDeliveryEntity];
