import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { WeeklyInterval } from './business-time';

/** A weekly calendar with holidays; SLA policies that name one count business time only. */
@Entity('business_hours')
export class BusinessHoursEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  /** IANA zone, e.g. Europe/Berlin. */
  @Column('text')
  timezone: string;

  /** [{day: 1..7, open: 'HH:mm', close: 'HH:mm'}]; close <= open runs overnight. */
  @Column('jsonb')
  weekly: WeeklyInterval[];

  /** ['YYYY-MM-DD'] in `timezone`. */
  @Column('jsonb', { default: () => "'[]'" })
  holidays: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

export interface SlaPolicyMatch {
  priorities?: string[];
  channels?: string[];
  teamIds?: string[];
  tags?: string[];
}

/** What happens to a ticket when one of its timers breaches (optional). */
export interface SlaEscalation {
  /** Raise the ticket's priority by one step, or to this priority (never lowers it). */
  raisePriority?: 'one_step' | 'high' | 'urgent';
  /** Move the ticket to this team. */
  moveToTeamId?: string;
}

@Entity('sla_policies')
@Index('IDX_sla_policies_position', ['position'])
export class SlaPolicyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  /** First match by ascending position wins. */
  @Column('int')
  position: number;

  /** Empty lists / missing keys match everything. */
  @Column('jsonb', { default: () => "'{}'" })
  match: SlaPolicyMatch;

  /** Minutes; fractions allowed (tests use seconds). Null = no such target. */
  @Column('double precision', { name: 'first_response_minutes', nullable: true })
  firstResponseMinutes: number | null;

  @Column('double precision', { name: 'next_response_minutes', nullable: true })
  nextResponseMinutes: number | null;

  @Column('double precision', { name: 'resolution_minutes', nullable: true })
  resolutionMinutes: number | null;

  @Column('double precision', { name: 'warn_at_percent', default: 80 })
  warnAtPercent: number;

  @Column('uuid', { name: 'business_hours_id', nullable: true })
  businessHoursId: string | null;

  @ManyToOne(() => BusinessHoursEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'business_hours_id' })
  businessHours?: BusinessHoursEntity;

  @Column('jsonb', { nullable: true })
  escalation: SlaEscalation | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/**
 * One SLA target of one ticket: the source of truth for what is owed and when. Queue jobs only
 * wake the worker; they are keyed `sla.<id>.<version>.<kind>` and every transition that moves an
 * instant bumps `version`, so a job from an older schedule finds a mismatch and does nothing.
 * Partial indexes (created by hand in the migration): the due/warn scans of the reconciler, the
 * breach list, and at most one live (active/paused) timer per ticket and target.
 */
@Entity('sla_timers')
@Index('IDX_sla_timers_ticket', ['ticketId', 'startedAt'])
@Index('IDX_sla_timers_active_due', { synchronize: false })
@Index('IDX_sla_timers_active_warn', { synchronize: false })
@Index('IDX_sla_timers_breached', { synchronize: false })
@Index('IDX_sla_timers_achieved', { synchronize: false })
@Index('UQ_sla_timers_live', { synchronize: false })
export class SlaTimerEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Domains meet through ids: no foreign key into the tickets domain. */
  @Column('uuid', { name: 'ticket_id' })
  ticketId: string;

  @Column('uuid', { name: 'policy_id', nullable: true })
  policyId: string | null;

  @ManyToOne(() => SlaPolicyEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'policy_id' })
  policy?: SlaPolicyEntity;

  /** The calendar the timer runs under (copied from the policy when it started or was recomputed). */
  @Column('uuid', { name: 'business_hours_id', nullable: true })
  businessHoursId: string | null;

  /** first_response, next_response, resolution */
  @Column('text')
  target: string;

  /** active, paused, achieved, breached */
  @Column('text')
  state: string;

  @Column('double precision', { name: 'target_minutes' })
  targetMinutes: number;

  @Column('double precision', { name: 'warn_at_percent' })
  warnAtPercent: number;

  @Column('timestamptz', { name: 'started_at' })
  startedAt: Date;

  @Column('timestamptz', { name: 'due_at', nullable: true })
  dueAt: Date | null;

  @Column('timestamptz', { name: 'warn_at', nullable: true })
  warnAt: Date | null;

  @Column('timestamptz', { name: 'paused_at', nullable: true })
  pausedAt: Date | null;

  @Column('double precision', { name: 'remaining_minutes', nullable: true })
  remainingMinutes: number | null;

  @Column('timestamptz', { name: 'warned_at', nullable: true })
  warnedAt: Date | null;

  @Column('timestamptz', { name: 'breached_at', nullable: true })
  breachedAt: Date | null;

  @Column('timestamptz', { name: 'achieved_at', nullable: true })
  achievedAt: Date | null;

  @Column('int', { default: 1 })
  version: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** Entities of the sla domain; registered in migrations/schema.ts. */
export const SLA_ENTITIES: Function[] = [BusinessHoursEntity, SlaPolicyEntity, SlaTimerEntity];
