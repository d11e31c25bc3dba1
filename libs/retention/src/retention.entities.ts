import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** An order pushed by a shop or CRM. `external_id` is the integrator's id: the idempotency key. */
@Entity('orders')
@Index('IDX_orders_customer_placed', ['customerId', 'placedAt'])
export class OrderEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('UQ_orders_external_id', { unique: true })
  @Column('text', { name: 'external_id' })
  externalId: string;

  /** customers.id (tickets domain); no FK so bulk imports and other domains stay decoupled. */
  @Column('uuid', { name: 'customer_id' })
  customerId: string;

  @Column('timestamptz', { name: 'placed_at' })
  placedAt: Date;

  @Column('numeric', { precision: 14, scale: 2 })
  total: string;

  @Column('text')
  currency: string;

  @Column('jsonb', { nullable: true })
  items: unknown[] | null;

  /** api, webhook or import. */
  @Column('text')
  source: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/**
 * One row per ticket, maintained incrementally (ticket hook + order ingestion): the anchor
 * (solved_at, else created_at), the first order after it, and the keys reports group by.
 * Reports read only this table, so they scan one narrow row per ticket and join nothing.
 */
@Entity('ticket_retention')
@Index('IDX_ticket_retention_customer_anchor', ['customerId', 'anchorAt'])
@Index('IDX_ticket_retention_anchor', ['anchorAt'])
export class TicketRetentionEntity {
  @PrimaryColumn('uuid', { name: 'ticket_id' })
  ticketId: string;

  @Column('uuid', { name: 'customer_id' })
  customerId: string;

  @Column('timestamptz', { name: 'anchor_at' })
  anchorAt: Date;

  @Column('boolean', { default: false })
  solved: boolean;

  /** First order placed strictly after anchor_at; null = none yet. */
  @Column('timestamptz', { name: 'next_order_at', nullable: true })
  nextOrderAt: Date | null;

  @Column('uuid', { name: 'agent_id', nullable: true })
  agentId: string | null;

  @Column('uuid', { name: 'team_id', nullable: true })
  teamId: string | null;

  @Column('text')
  channel: string;

  @Column('text')
  priority: string;

  @Column('text', { array: true, default: () => "'{}'" })
  tags: string[];

  /** Minutes from creation to the first public reply; null until there is one. */
  @Column('double precision', { name: 'first_response_minutes', nullable: true })
  firstResponseMinutes: number | null;

  @Column('smallint', { name: 'csat_score', nullable: true })
  csatScore: number | null;

  /** promoter, passive or detractor. */
  @Column('text', { name: 'nps_class', nullable: true })
  npsClass: string | null;

  /** true = every SLA target achieved, false = at least one breached, null = no finished target. */
  @Column('boolean', { name: 'sla_met', nullable: true })
  slaMet: boolean | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** A BG/NBD + Gamma–Gamma fit: requested by the API, run by the worker. */
@Entity('retention_models')
@Index('IDX_retention_models_requested', ['requestedAt'])
export class RetentionModelEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** queued, running, succeeded, failed. */
  @Column('text')
  status: string;

  @Column('timestamptz')
  until: Date;

  @Column('double precision', { nullable: true })
  r: number | null;

  @Column('double precision', { nullable: true })
  alpha: number | null;

  @Column('double precision', { nullable: true })
  a: number | null;

  @Column('double precision', { nullable: true })
  b: number | null;

  @Column('double precision', { nullable: true })
  p: number | null;

  @Column('double precision', { nullable: true })
  q: number | null;

  @Column('double precision', { nullable: true })
  gamma: number | null;

  @Column('double precision', { name: 'log_likelihood', nullable: true })
  logLikelihood: number | null;

  @Column('int', { nullable: true })
  customers: number | null;

  @Column('int', { nullable: true })
  orders: number | null;

  @Column('text', { nullable: true })
  error: string | null;

  @CreateDateColumn({ name: 'requested_at', type: 'timestamptz' })
  requestedAt: Date;

  @Column('timestamptz', { name: 'fitted_at', nullable: true })
  fittedAt: Date | null;
}

/** The one row of churn follow-up settings (id = 1). */
@Entity('churn_settings')
@Check('CHK_churn_settings_singleton', 'id = 1')
export class ChurnSettingsEntity {
  @PrimaryColumn('smallint')
  id: number;

  @Column('double precision')
  threshold: number;

  @Column('int', { name: 'cooldown_days' })
  cooldownDays: number;

  @Column('int', { name: 'holdout_percent' })
  holdoutPercent: number;

  /** ticket, email or webhook. */
  @Column('text')
  action: string;

  @Column('uuid', { name: 'team_id', nullable: true })
  teamId: string | null;

  @Column('boolean')
  enabled: boolean;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** One scoring run; `key` makes a retried or doubly-scheduled run the same run. */
@Entity('churn_runs')
export class ChurnRunEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('UQ_churn_runs_key', { unique: true })
  @Column('text')
  key: string;

  /** queued, running, succeeded, failed. */
  @Column('text')
  status: string;

  @Column('int', { default: 0 })
  scored: number;

  @Column('int', { default: 0 })
  flagged: number;

  @Column('int', { default: 0 })
  treated: number;

  @Column('int', { default: 0 })
  holdout: number;

  @Column('text', { nullable: true })
  error: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'finished_at', nullable: true })
  finishedAt: Date | null;
}

/**
 * The cooldown gate: one row per customer ever followed up. A follow-up is created only by the
 * statement that moves `next_eligible_at` forward (INSERT … ON CONFLICT DO UPDATE … WHERE), so two
 * runs racing for one customer produce one follow-up.
 */
@Entity('churn_cooldowns')
export class ChurnCooldownEntity {
  @PrimaryColumn('uuid', { name: 'customer_id' })
  customerId: string;

  @Column('timestamptz', { name: 'next_eligible_at' })
  nextEligibleAt: Date;
}

@Entity('churn_follow_ups')
@Index('IDX_churn_follow_ups_created', ['createdAt'])
@Index('UQ_churn_follow_ups_run_customer', ['runId', 'customerId'], { unique: true })
export class ChurnFollowUpEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'run_id' })
  runId: string;

  @Column('uuid', { name: 'customer_id' })
  customerId: string;

  /** treated or holdout. */
  @Column('text', { name: 'group' })
  group: string;

  @Column('double precision', { name: 'risk_score' })
  riskScore: number;

  @Column('text')
  action: string;

  /** The proactive ticket, when action = ticket and the customer was treated. */
  @Column('uuid', { name: 'ticket_id', nullable: true })
  ticketId: string | null;

  /** pending, done, skipped (holdout), failed. */
  @Column('text', { name: 'action_status' })
  actionStatus: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** Small named watermarks (e.g. when survey/SLA signals were last copied into ticket_retention). */
@Entity('retention_state')
export class RetentionStateEntity {
  @PrimaryColumn('text')
  key: string;

  @Column('timestamptz')
  at: Date;
}

/**
 * The repurchase report's per-day rollup: for each UTC day of anchors, each dimension the report
 * groups by and each group key, how many tickets, and when their first later orders came: `lags`
 * are the distinct whole days (rounded up) from anchor to first later order, ascending, and
 * `retained_upto[i]` counts the tickets with a lag ≤ lags[i]. Retained at window W =
 * retained_upto[width_bucket(W, lags)] (a binary search), so any window is answered exactly.
 * Rows of a day are rebuilt from ticket_retention when the day is marked dirty (triggers on
 * ticket_retention, migration 1796240000000-retention-rollup).
 */
@Entity('retention_rollup')
@Index('IDX_retention_rollup_dimension_day', ['dimension', 'day'])
@Index('IDX_retention_rollup_day', ['day'])
export class RetentionRollupEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column('date')
  day: string;

  /** none, csat, nps, sla, firstResponse, agent, team, channel, priority or tag (reports/group-keys.ts). */
  @Column('text')
  dimension: string;

  /** The group key (null = the tickets without a value). */
  @Column('text', { nullable: true })
  key: string | null;

  @Column('int')
  tickets: number;

  @Column('int', { array: true })
  lags: number[];

  /** retained_upto[i] = tickets whose first later order came within lags[i] days (cumulative). */
  @Column('int', { name: 'retained_upto', array: true })
  retainedUpto: number[];
}

/**
 * Days whose rollup rows are stale, appended by triggers on ticket_retention in the writer's own
 * transaction (one row per day per statement, no upsert: concurrent writers never wait on each
 * other). The rebuild deletes the rows it sees and recomputes those days afterwards, so a mark
 * committed later is simply rebuilt next time.
 */
@Entity('retention_dirty_days')
export class RetentionDirtyDayEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column('date')
  day: string;
}

/**
 * Customers whose tickets' next_order_at must be recomputed from their orders (bulk imports enqueue
 * here instead of linking order by order); drained by one set-wise UPDATE per chunk.
 */
@Entity('retention_link_queue')
export class RetentionLinkQueueEntity {
  @PrimaryColumn('uuid', { name: 'customer_id' })
  customerId: string;

  @Column('timestamptz', { name: 'queued_at', default: () => 'now()' })
  queuedAt: Date;
}

/** Entities of the retention domain; registered in migrations/schema.ts. */
export const RETENTION_ENTITIES: Function[] = [
  OrderEntity,
  TicketRetentionEntity,
  RetentionModelEntity,
  ChurnSettingsEntity,
  ChurnRunEntity,
  ChurnCooldownEntity,
  ChurnFollowUpEntity,
  RetentionStateEntity,
  RetentionRollupEntity,
  RetentionDirtyDayEntity,
  RetentionLinkQueueEntity,
];
