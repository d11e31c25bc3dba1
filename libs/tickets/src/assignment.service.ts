import { Injectable } from '@nestjs/common';
import { OnlineAgents, rows } from '@keepdesk/core';
import { EntityManager } from 'typeorm';

/**
 * Round-robin among the team's eligible agents: active, online (live inbox connection) or marked
 * available, and below their capacity of open tickets; the one assigned longest ago goes first.
 * A per-team transaction lock makes concurrent creations take turns instead of piling on one agent.
 */
@Injectable()
export class AssignmentService {
  constructor(private readonly online: OnlineAgents) {}

  async pickAssignee(tx: EntityManager, teamId: string): Promise<string | null> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('assign:' || $1))`, [teamId]);
    const candidates = await rows<{ id: string; available: boolean }>(
      tx,
      `SELECT u.id, u.available
       FROM team_members tm JOIN users u ON u.id = tm.user_id
       WHERE tm.team_id = $1 AND u.active AND u.role IN ('agent', 'supervisor')
         AND (SELECT count(*) FROM tickets t WHERE t.assignee_id = u.id AND t.status IN ('new', 'open', 'pending', 'on_hold')) < u.capacity
       ORDER BY u.last_assigned_at NULLS FIRST, u.id`,
      [teamId],
    );
    if (!candidates.length) return null;
    const online = await this.online.onlineAmong(candidates.map((c) => c.id));
    const pick = candidates.find((c) => c.available || online.has(c.id));
    if (!pick) return null;
    await tx.query(`UPDATE users SET last_assigned_at = clock_timestamp() WHERE id = $1`, [pick.id]);
    return pick.id;
  }
}
