import { Injectable, Logger } from '@nestjs/common';
import { JobName, QueueService } from '@keepdesk/core';
import type { DueFire, StoredTimer } from './sla-timer.repository';

/** `sla.<timerId>.<version>.<kind>`: a fire owed twice (hook + reconciler, two workers) is queued once. */
export function fireJobId(f: Pick<DueFire, 'timerId' | 'version' | 'kind'>): string {
  return `sla.${f.timerId}.${f.version}.${f.kind}`;
}

/** The instants an active timer still owes: its warning (unless sent or pointless) and its breach. */
export function firesOf(t: StoredTimer): DueFire[] {
  if (t.state !== 'active' || !t.dueAt) return [];
  const out: DueFire[] = [];
  if (t.warnAt && !t.warnedAt && t.warnAt.getTime() < t.dueAt.getTime()) out.push({ timerId: t.id, version: t.version, kind: 'warning', at: t.warnAt });
  out.push({ timerId: t.id, version: t.version, kind: 'breach', at: t.dueAt });
  return out;
}

/**
 * Puts due instants on the queue as delayed `sla.fire` jobs. The queue is only an alarm clock: the
 * database row is what is owed, and the reconciler puts back whatever the queue lost.
 */
@Injectable()
export class SlaScheduler {
  private readonly logger = new Logger(SlaScheduler.name);

  constructor(private readonly queues: QueueService) {}

  async schedule(fires: DueFire[]): Promise<void> {
    // BullMQ counts a delay from the moment the job is added, so each chunk takes the clock afresh:
    // queueing 100,000 jobs takes seconds, which a single `now` would add to the last deadlines.
    const CHUNK = 500;
    for (let i = 0; i < fires.length; i += CHUNK) {
      const now = Date.now();
      await this.queues.addBulk(
        JobName.SlaFire,
        fires.slice(i, i + CHUNK).map((f) => ({
          payload: { timerId: f.timerId, version: f.version, kind: f.kind },
          // Deadlines are the point of this queue: retry fast (the fire is idempotent).
          opts: { jobId: fireJobId(f), delay: f.at.getTime() - now, attempts: 20 },
        })),
      );
    }
  }

  /** After a ticket change commits; a failure is logged, the reconciler schedules it again. */
  async scheduleTimers(timers: StoredTimer[]): Promise<void> {
    try {
      await this.schedule(timers.flatMap(firesOf));
    } catch (e) {
      this.logger.warn(`scheduling SLA jobs failed (the reconciler will retry): ${(e as Error).message}`);
    }
  }
}
