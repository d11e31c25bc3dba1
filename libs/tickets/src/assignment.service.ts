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
    // Presence is asked before the team lock is taken, so the lock never waits on Redis.
    const members = await rows<{ id: string }>(
      tx,
      `SELECT u.id FROM team_members tm JOIN users u ON u.id = tm.user_id
       WHERE tm.team_id = $1 AND u.active AND u.role IN ('agent', 'supervisor')`,
      [teamId],
    );
    if (!members.length) return null;
    const online = await this.online.onlineAmong(members.map((m) => m.id));
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('assign:' || $1))`, [teamId]);
    const pick = await rows<{ id: string }>(
      tx,
      `SELECT u.id
       FROM team_members tm JOIN users u ON u.id = tm.user_id
       WHERE tm.team_id = $1 AND u.active AND u.role IN ('agent', 'supervisor')
         AND (u.available OR u.id = ANY($2::uuid[]))
         AND (SELECT count(*) FROM tickets t WHERE t.assignee_id = u.id AND t.status IN ('new', 'open', 'pending', 'on_hold')) < u.capacity
       ORDER BY u.last_assigned_at NULLS FIRST, u.id
       LIMIT 1`,
      [teamId, [...online]],
    );
    if (!pick.length) return null;
    await tx.query(`UPDATE users SET last_assigned_at = clock_timestamp() WHERE id = $1`, [pick[0].id]);
    return pick[0].id;
  }
}
