import { Column, CreateDateColumn, Entity, Generated, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('customers')
export class CustomerEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('UQ_customers_external_id', { unique: true })
  @Column('text', { name: 'external_id', nullable: true })
  externalId: string | null;

  /** Stored lower-cased: customers are matched by email case-insensitively. */
  @Index('UQ_customers_email', { unique: true })
  @Column('text', { nullable: true })
  email: string | null;

  @Column('text', { nullable: true })
  name: string | null;

  @Column('text', { nullable: true })
  phone: string | null;

  @Column('text', { nullable: true })
  locale: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

@Entity('tickets')
@Index('IDX_tickets_search', { synchronize: false })
@Index('IDX_tickets_team_number', ['teamId', 'number'])
@Index('IDX_tickets_assignee_number', ['assigneeId', 'number'])
@Index('IDX_tickets_status_number', ['status', 'number'])
@Index('IDX_tickets_customer', ['customerId', 'createdAt'])
export class TicketEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('UQ_tickets_number', { unique: true })
  @Column('bigint')
  @Generated('increment')
  number: string;

  @Column('text')
  subject: string;

  @Column('text')
  status: string;

  @Column('text')
  priority: string;

  @Column('text')
  channel: string;

  @Column('text', { array: true, default: () => "'{}'" })
  tags: string[];

  @Column('uuid', { name: 'customer_id' })
  customerId: string;

  @ManyToOne(() => CustomerEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'customer_id' })
  customer?: CustomerEntity;

  @Column('uuid', { name: 'team_id', nullable: true })
  teamId: string | null;

  @Column('uuid', { name: 'assignee_id', nullable: true })
  assigneeId: string | null;

  /** A follow-up opened by a reply to a closed ticket, or a service-recovery ticket, points here. */
  @Column('uuid', { name: 'parent_ticket_id', nullable: true })
  parentTicketId: string | null;

  @Column('tsvector', { nullable: true, select: false })
  search: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column('timestamptz', { name: 'first_response_at', nullable: true })
  firstResponseAt: Date | null;

  @Column('timestamptz', { name: 'solved_at', nullable: true })
  solvedAt: Date | null;

  @Column('timestamptz', { name: 'closed_at', nullable: true })
  closedAt: Date | null;

  /** Last status change; auto-close counts from the moment a ticket was solved. */
  @Column('timestamptz', { name: 'status_changed_at', default: () => 'now()' })
  statusChangedAt: Date;

  @Column('int', { name: 'reopen_count', default: 0 })
  reopenCount: number;

  /**
   * Set by the system for tickets it opens on its own (a survey's service recovery, a churn
   * follow-up): the cause, so that a retried job finds the ticket it already opened instead of
   * opening another.
   */
  @Index('UQ_tickets_idempotency_key', { unique: true, where: 'idempotency_key IS NOT NULL' })
  @Column('text', { name: 'idempotency_key', nullable: true })
  idempotencyKey: string | null;
}

@Entity('messages')
@Index('IDX_messages_ticket', ['ticketId', 'createdAt'])
export class MessageEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'ticket_id' })
  ticketId: string;

  @ManyToOne(() => TicketEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'ticket_id' })
  ticket?: TicketEntity;

  /** reply (public, agent), note (internal, agent), customer (from the customer). */
  @Column('text')
  kind: string;

  @Column('uuid', { name: 'author_id', nullable: true })
  authorId: string | null;

  @Column('text')
  body: string;

  /** RFC 5322 Message-ID of an inbound mail, for threading replies and dropping re-deliveries. */
  @Index('UQ_messages_email_message_id', { unique: true })
  @Column('text', { name: 'email_message_id', nullable: true })
  emailMessageId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** The audit trail and the source of the live feed: `id` increases monotonically. */
@Entity('ticket_events')
@Index('IDX_ticket_events_ticket', ['ticketId', 'id'])
export class TicketEventEntity {
  @PrimaryColumn('bigint')
  @Generated('increment')
  id: string;

  @Column('uuid', { name: 'ticket_id', nullable: true })
  ticketId: string | null;

  @Column('text')
  type: string;

  /** user, api_key, customer, system */
  @Column('text', { name: 'actor_type' })
  actorType: string;

  @Column('uuid', { name: 'actor_id', nullable: true })
  actorId: string | null;

  @Column('jsonb', { default: () => "'{}'" })
  data: Record<string, unknown>;

  /** Routing at the time of the event: the inbox sends it to this team's and assignee's rooms. */
  @Column('uuid', { name: 'team_id', nullable: true })
  teamId: string | null;

  @Column('uuid', { name: 'assignee_id', nullable: true })
  assigneeId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

export const TICKETS_ENTITIES = [CustomerEntity, TicketEntity, MessageEntity, TicketEventEntity];
