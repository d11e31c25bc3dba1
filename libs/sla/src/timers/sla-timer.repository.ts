import { Injectable } from '@nestjs/common';
import { affected, one, rows } from '@keepdesk/core';
import { EntityManager } from 'typeorm';
import type { SlaTarget, SlaTimer, SlaTimerState } from '../business-time';
import type { SlaEscalation } from '../sla.entities';

/** A timer as stored: the pure SlaTimer plus where it belongs. */
export interface StoredTimer extends SlaTimer {
  id: string;
  ticketId: string;
  policyId: string | null;
  businessHoursId: string | null;
}

/** What a fire job or the reconciler needs to know about a due instant. */
export interface DueFire {
  timerId: string;
  version: number;
  kind: 'warning' | 'breach';
  at: Date;
}

/** The ticket routing read together with a fired timer (the inbox event goes to its team/assignee). */
export interface FiredTimer {
  id: string;
  ticketId: string;
  target: SlaTarget;
  policyId: string | null;
  dueAt: Date;
  warnAt: Date | null;
  breachedAt: Date | null;
  version: number;
  teamId: string | null;
  assigneeId: string | null;
  priority: string;
}

const COLUMNS = `id, ticket_id, policy_id, business_hours_id, target, state, target_minutes, warn_at_percent, started_at,
  due_at, warn_at, paused_at, remaining_minutes, warned_at, breached_at, achieved_at, version`;

type Row = Record<string, any>;

const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

function toTimer(r: Row): StoredTimer {
  return {
    id: r.id,
    ticketId: r.ticket_id,
    policyId: r.policy_id,
    businessHoursId: r.business_hours_id,
    target: r.target,
    state: r.state,
    targetMinutes: Number(r.target_minutes),
    warnAtPercent: Number(r.warn_at_percent),
    startedAt: new Date(r.started_at),
    dueAt: date(r.due_at),
    warnAt: date(r.warn_at),
    pausedAt: date(r.paused_at),
    remainingMinutes: r.remaining_minutes === null ? null : Number(r.remaining_minutes),
    warnedAt: date(r.warned_at),
    breachedAt: date(r.breached_at),
    achievedAt: date(r.achieved_at),
    version: Number(r.version),
  };
}

function toFired(r: Row): FiredTimer {
  return {
    id: r.id,
    ticketId: r.ticket_id,
    target: r.target,
    policyId: r.policy_id,
    dueAt: new Date(r.due_at),
    warnAt: date(r.warn_at),
    breachedAt: date(r.breached_at),
    version: Number(r.version),
    teamId: r.team_id,
    assigneeId: r.assignee_id,
    priority: r.priority,
  };
}

export const LIVE_STATES: SlaTimerState[] = ['active', 'paused'];

/** The only code that reads or writes sla_timers. */
@Injectable()
export class SlaTimerRepository {
  /** Live timers of a ticket, locked until the ticket's transaction ends (fire jobs wait). */
  async lockLive(tx: EntityManager, ticketId: string): Promise<StoredTimer[]> {
    const r = await rows(tx, `SELECT ${COLUMNS} FROM sla_timers WHERE ticket_id = $1 AND state IN ('active', 'paused') ORDER BY started_at FOR UPDATE`, [ticketId]);
    return r.map(toTimer);
  }

  async live(m: EntityManager, ticketId: string): Promise<StoredTimer[]> {
    const r = await rows(m, `SELECT ${COLUMNS} FROM sla_timers WHERE ticket_id = $1 AND state IN ('active', 'paused')`, [ticketId]);
    return r.map(toTimer);
  }

  async byId(m: EntityManager, id: string): Promise<StoredTimer | undefined> {
    const r = await one(m, `SELECT ${COLUMNS} FROM sla_timers WHERE id = $1`, [id]);
    return r ? toTimer(r) : undefined;
  }

  async hasTarget(tx: EntityManager, ticketId: string, target: SlaTarget): Promise<boolean> {
    return !!(await one(tx, `SELECT 1 FROM sla_timers WHERE ticket_id = $1 AND target = $2 LIMIT 1`, [ticketId, target]));
  }

  async insert(tx: EntityManager, t: Omit<StoredTimer, 'id'>): Promise<StoredTimer> {
    const r = await one(
      tx,
      `INSERT INTO sla_timers (ticket_id, policy_id, business_hours_id, target, state, target_minutes, warn_at_percent, started_at,
         due_at, warn_at, paused_at, remaining_minutes, warned_at, breached_at, achieved_at, version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       RETURNING ${COLUMNS}`,
      [
        t.ticketId, t.policyId, t.businessHoursId, t.target, t.state, t.targetMinutes, t.warnAtPercent, t.startedAt,
        t.dueAt, t.warnAt, t.pausedAt, t.remainingMinutes, t.warnedAt, t.breachedAt, t.achievedAt, t.version,
      ],
    );
    return toTimer(r!);
  }

  /** Many new timers in one statement (batched ticket creation), returned in the order given. */
  async insertMany(tx: EntityManager, timers: Omit<StoredTimer, 'id'>[]): Promise<StoredTimer[]> {
    if (!timers.length) return [];
    const input = timers.map((t, ord) => ({
      ord,
      ticket_id: t.ticketId,
      policy_id: t.policyId,
      business_hours_id: t.businessHoursId,
      target: t.target,
      state: t.state,
      target_minutes: t.targetMinutes,
      warn_at_percent: t.warnAtPercent,
      started_at: t.startedAt,
      due_at: t.dueAt,
      warn_at: t.warnAt,
      paused_at: t.pausedAt,
      remaining_minutes: t.remainingMinutes,
      warned_at: t.warnedAt,
      breached_at: t.breachedAt,
      achieved_at: t.achievedAt,
      version: t.version,
    }));
    const r = await rows(
      tx,
      `INSERT INTO sla_timers (ticket_id, policy_id, business_hours_id, target, state, target_minutes, warn_at_percent, started_at,
         due_at, warn_at, paused_at, remaining_minutes, warned_at, breached_at, achieved_at, version)
       SELECT ticket_id, policy_id, business_hours_id, target, state, target_minutes, warn_at_percent, started_at,
              due_at, warn_at, paused_at, remaining_minutes, warned_at, breached_at, achieved_at, version
       FROM jsonb_to_recordset($1::jsonb) AS x(ord int, ticket_id uuid, policy_id uuid, business_hours_id uuid, target text, state text,
         target_minutes double precision, warn_at_percent double precision, started_at timestamptz, due_at timestamptz, warn_at timestamptz,
         paused_at timestamptz, remaining_minutes double precision, warned_at timestamptz, breached_at timestamptz, achieved_at timestamptz, version int)
       ORDER BY ord
       RETURNING ${COLUMNS}`,
      [JSON.stringify(input)],
    );
    const stored = r.map(toTimer);
    const key = (t: { ticketId: string; target: string }) => `${t.ticketId}/${t.target}`;
    const byKey = new Map(stored.map((t) => [key(t), t]));
    return timers.map((t) => byKey.get(key(t))!);
  }

  /** Writes a transition computed under the row lock; `expectedVersion` guards against a lost lock. */
  async save(tx: EntityManager, t: StoredTimer, expectedVersion: number): Promise<void> {
    const n = await affected(
      tx,
      `UPDATE sla_timers SET policy_id = $3, business_hours_id = $4, state = $5, target_minutes = $6, warn_at_percent = $7,
         due_at = $8, warn_at = $9, paused_at = $10, remaining_minutes = $11, warned_at = $12, breached_at = $13,
         achieved_at = $14, version = $15, updated_at = now()
       WHERE id = $1 AND version = $2`,
      [
        t.id, expectedVersion, t.policyId, t.businessHoursId, t.state, t.targetMinutes, t.warnAtPercent,
        t.dueAt, t.warnAt, t.pausedAt, t.remainingMinutes, t.warnedAt, t.breachedAt, t.achievedAt, t.version,
      ],
    );
    if (n !== 1) throw new Error(`sla timer ${t.id} changed under its lock (expected version ${expectedVersion})`);
  }

  async remove(tx: EntityManager, id: string): Promise<void> {
    await affected(tx, `DELETE FROM sla_timers WHERE id = $1`, [id]);
  }

  /** For the ticket view: every timer of these tickets, oldest first. One query for a whole page. */
  async forTickets(m: EntityManager, ticketIds: string[]): Promise<StoredTimer[]> {
    const r = await rows(m, `SELECT ${COLUMNS} FROM sla_timers WHERE ticket_id = ANY($1::uuid[]) ORDER BY ticket_id, started_at, target`, [ticketIds]);
    return r.map(toTimer);
  }

  /**
   * Breaches, exactly once: only the transaction that moves a (timer, version) from active to
   * breached gets its row back; a retry, a second worker or the reconciler get none. `breached_at`
   * is the deadline itself, not the moment a worker noticed. The tickets are locked first, in id
   * order (the `lk` CTE runs before the UPDATE that depends on it): the same order as a ticket change
   * (ticket, then its timers), so an escalation that then writes the ticket cannot deadlock, and two
   * batches cannot deadlock with each other. One round trip for a whole batch.
   */
  async markBreached(tx: EntityManager, fires: { timerId: string; version: number }[], now: Date): Promise<(FiredTimer & { escalation: SlaEscalation | null })[]> {
    const r = await rows(
      tx,
      `WITH req AS (SELECT * FROM unnest($1::uuid[], $2::int[]) AS r(id, version)),
       lk AS (
         SELECT s.id AS timer_id, s.version, t.id, t.team_id, t.assignee_id, t.priority
           FROM req JOIN sla_timers s ON s.id = req.id AND s.version = req.version JOIN tickets t ON t.id = s.ticket_id
          WHERE s.state = 'active' AND s.due_at <= $3
          ORDER BY t.id
          FOR UPDATE OF t),
       u AS (
         -- Joined on the primary key only: the state/version re-check runs on the row as it is after
         -- the lock wait, and the planner is never tempted by the partial due index.
         UPDATE sla_timers s SET state = 'breached', breached_at = s.due_at, version = s.version + 1, updated_at = now()
           FROM lk
          WHERE s.id = lk.timer_id AND s.version = lk.version AND s.state = 'active'
          RETURNING s.id, s.ticket_id, s.target, s.policy_id, s.due_at, s.warn_at, s.breached_at, s.version)
       SELECT u.*, lk.team_id, lk.assignee_id, lk.priority, p.escalation
         FROM u JOIN lk ON lk.timer_id = u.id LEFT JOIN sla_policies p ON p.id = u.policy_id`,
      [fires.map((f) => f.timerId), fires.map((f) => f.version), now],
    );
    return r.map((x) => ({ ...toFired(x), escalation: x.escalation ?? null }));
  }

  /** Warnings, exactly once: `warned_at` goes from null to set once per schedule version. */
  async markWarned(tx: EntityManager, fires: { timerId: string; version: number }[], now: Date): Promise<FiredTimer[]> {
    const r = await rows(
      tx,
      `WITH req AS (SELECT * FROM unnest($1::uuid[], $2::int[]) AS r(id, version)),
       u AS (
         UPDATE sla_timers s SET warned_at = $3, updated_at = now()
           FROM req
          WHERE s.id = req.id AND s.version = req.version AND s.state = 'active' AND s.warned_at IS NULL AND s.warn_at <= $3 AND s.warn_at < s.due_at
          RETURNING s.id, s.ticket_id, s.target, s.policy_id, s.due_at, s.warn_at, s.breached_at, s.version)
       SELECT u.*, t.team_id, t.assignee_id, t.priority FROM u JOIN tickets t ON t.id = u.ticket_id`,
      [fires.map((f) => f.timerId), fires.map((f) => f.version), now],
    );
    return r.map(toFired);
  }

  /**
   * What is due by `until` (warnings not yet sent, breaches), in instant order, for scheduling or
   * firing. Instants are cut to the millisecond so that the keyset cursor (a JS Date) round-trips.
   */
  async dueBy(m: EntityManager, until: Date, limit: number, after?: { at: Date; timerId: string; kind: string }): Promise<DueFire[]> {
    const r = await rows(
      m,
      `SELECT * FROM (
         SELECT id AS timer_id, version, 'breach' AS kind, date_trunc('milliseconds', due_at) AS at FROM sla_timers
          WHERE state = 'active' AND due_at <= $1
         UNION ALL
         SELECT id, version, 'warning', date_trunc('milliseconds', warn_at) FROM sla_timers
          WHERE state = 'active' AND warned_at IS NULL AND warn_at <= $1 AND warn_at < due_at
       ) d
       WHERE $3::timestamptz IS NULL OR (d.at, d.timer_id, d.kind) > ($3::timestamptz, $4::uuid, $5::text)
       ORDER BY d.at, d.timer_id, d.kind
       LIMIT $2`,
      [until, limit, after?.at ?? null, after?.timerId ?? null, after?.kind ?? null],
    );
    return r.map((x) => ({ timerId: x.timer_id, version: Number(x.version), kind: x.kind, at: new Date(x.at) }));
  }
}
