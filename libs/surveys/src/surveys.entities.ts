import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * Survey settings: one row per team that overrides, plus the workspace default (`scope` =
 * 'default' or the team id). A text key keeps "one default" a primary-key fact instead of a
 * partial index on a nullable column.
 */
@Entity('survey_settings')
export class SurveySettingsEntity {
  @PrimaryColumn('text')
  scope: string;

  @Column('uuid', { name: 'team_id', nullable: true })
  teamId: string | null;

  /** csat, nps, ces */
  @Column('text')
  type: string;

  @Column('double precision', { name: 'delay_minutes' })
  delayMinutes: number;

  @Column('int', { name: 'expires_days' })
  expiresDays: number;

  /** 0 = no reminder. */
  @Column('double precision', { name: 'reminder_after_hours' })
  reminderAfterHours: number;

  @Column('double precision', { name: 'suppress_days' })
  suppressDays: number;

  /** email, webhook */
  @Column('text')
  channel: string;

  @Column('boolean')
  enabled: boolean;

  /** Null = SPEC's threshold for the type (CSAT ≤ 2, NPS ≤ 6, CES ≥ 5). */
  @Column('int', { name: 'low_score_threshold', nullable: true })
  lowScoreThreshold: number | null;

  /** Language for customers without a known locale (en, zh-CN). */
  @Column('text', { name: 'default_locale', default: 'en' })
  defaultLocale: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/**
 * One survey per ticket, ever (UQ_surveys_ticket). `state` is the sending state machine:
 * scheduled → sending (claimed by one worker, lease) → sent; or cancelled (reopened before the
 * delay; a later solve reschedules it), suppressed (fatigue), skipped (disabled, no address), failed.
 * The answer (score, comment) lives on the same row.
 */
@Entity('surveys')
@Index('IDX_surveys_customer_sent', ['customerId', 'sentAt'])
@Index('IDX_surveys_sent_at', ['sentAt'])
@Index('IDX_surveys_state_due', ['state', 'scheduledAt'])
export class SurveyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('UQ_surveys_ticket', { unique: true })
  @Column('uuid', { name: 'ticket_id' })
  ticketId: string;

  @Column('uuid', { name: 'customer_id' })
  customerId: string;

  /** The ticket's team when the survey was sent (scheduled: when solved). */
  @Column('uuid', { name: 'team_id', nullable: true })
  teamId: string | null;

  @Column('text')
  type: string;

  @Column('text')
  channel: string;

  @Column('text')
  state: string;

  @Column('text', { name: 'state_reason', nullable: true })
  stateReason: string | null;

  /** Bumped by every (re)schedule; the job id carries it, so a superseded job finds nothing to do. */
  @Column('int', { name: 'schedule_version', default: 1 })
  scheduleVersion: number;

  @Column('timestamptz', { name: 'scheduled_at' })
  scheduledAt: Date;

  @Column('uuid', { name: 'claim_id', nullable: true })
  claimId: string | null;

  @Column('timestamptz', { name: 'claimed_at', nullable: true })
  claimedAt: Date | null;

  @Column('int', { name: 'send_attempts', default: 0 })
  sendAttempts: number;

  @Column('text', { name: 'last_error', nullable: true })
  lastError: string | null;

  /** Committed just before the SMTP end-of-data: from here on the mail counts as sent. */
  @Column('timestamptz', { name: 'sent_at', nullable: true })
  sentAt: Date | null;

  /** The server's 250 after end-of-data (null with sent_at set = the outcome is not known). */
  @Column('timestamptz', { name: 'accepted_at', nullable: true })
  acceptedAt: Date | null;

  @Column('text', { name: 'message_id', nullable: true })
  messageId: string | null;

  /** The agent credited: the assignee when the survey was sent. */
  @Column('uuid', { name: 'agent_id', nullable: true })
  agentId: string | null;

  @Column('text', { nullable: true })
  locale: string | null;

  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  @Column('double precision', { name: 'reminder_after_hours', nullable: true })
  reminderAfterHours: number | null;

  /** null (not yet), sending, sent, skipped */
  @Column('text', { name: 'reminder_state', nullable: true })
  reminderState: string | null;

  @Column('uuid', { name: 'reminder_claim_id', nullable: true })
  reminderClaimId: string | null;

  @Column('timestamptz', { name: 'reminder_claimed_at', nullable: true })
  reminderClaimedAt: Date | null;

  @Column('timestamptz', { name: 'reminder_sent_at', nullable: true })
  reminderSentAt: Date | null;

  @Column('int', { name: 'low_score_threshold', nullable: true })
  lowScoreThreshold: number | null;

  @Column('int', { nullable: true })
  score: number | null;

  @Column('text', { nullable: true })
  comment: string | null;

  @Column('timestamptz', { name: 'answered_at', nullable: true })
  answeredAt: Date | null;

  @Column('boolean', { name: 'low_score', default: false })
  lowScore: boolean;

  @Column('uuid', { name: 'follow_up_ticket_id', nullable: true })
  followUpTicketId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** Entities of the surveys domain; registered in migrations/schema.ts. */
export const SURVEYS_ENTITIES: Function[] = [SurveySettingsEntity, SurveyEntity];
