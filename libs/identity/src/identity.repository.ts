import { Injectable } from '@nestjs/common';
import { one, Role, rows } from '@keepdesk/core';
import { DataSource, EntityManager } from 'typeorm';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  capacity: number;
  available: boolean;
  active: boolean;
  teamIds: string[];
  createdAt: Date;
}

const USER_COLUMNS = `u.id, u.email, u.name, u.role, u.capacity, u.available, u.active, u.created_at AS "createdAt",
  COALESCE((SELECT array_agg(tm.team_id ORDER BY tm.team_id) FROM team_members tm WHERE tm.user_id = u.id), '{}') AS "teamIds"`;

/** The only code that reads or writes users, teams and API keys. */
@Injectable()
export class IdentityRepository {
  constructor(private readonly db: DataSource) {}

  findUserById(id: string, m: EntityManager = this.db.manager): Promise<UserRow | undefined> {
    return one<UserRow>(m, `SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1`, [id]);
  }

  findUserByEmailWithHash(email: string): Promise<(UserRow & { passwordHash: string }) | undefined> {
    return one(this.db.manager, `SELECT ${USER_COLUMNS}, u.password_hash AS "passwordHash" FROM users u WHERE u.email = $1`, [email.toLowerCase()]);
  }

  listUsers(): Promise<UserRow[]> {
    return rows<UserRow>(this.db.manager, `SELECT ${USER_COLUMNS} FROM users u ORDER BY u.created_at, u.id`);
  }

  /** Inserts the user, or returns undefined when the email is taken. */
  async insertUser(
    m: EntityManager,
    u: { email: string; name: string; passwordHash: string; role: Role; capacity?: number; available?: boolean },
  ): Promise<string | undefined> {
    const r = await one<{ id: string }>(
      m,
      `INSERT INTO users (email, name, password_hash, role, capacity, available)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO NOTHING RETURNING id`,
      [u.email.toLowerCase(), u.name, u.passwordHash, u.role, u.capacity ?? 10, u.available ?? false],
    );
    return r?.id;
  }

  async updateUser(
    m: EntityManager,
    id: string,
    patch: Partial<{ name: string; role: Role; capacity: number; available: boolean; active: boolean; passwordHash: string }>,
  ): Promise<void> {
    const cols: Record<string, string> = { name: 'name', role: 'role', capacity: 'capacity', available: 'available', active: 'active', passwordHash: 'password_hash' };
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      params.push(v);
      sets.push(`${cols[k]} = $${params.length}`);
    }
    if (!sets.length) return;
    await m.query(`UPDATE users SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, params);
  }

  async setTeams(m: EntityManager, userId: string, teamIds: string[]): Promise<void> {
    await m.query(`DELETE FROM team_members WHERE user_id = $1`, [userId]);
    if (teamIds.length) {
      await m.query(`INSERT INTO team_members (team_id, user_id) SELECT unnest($1::uuid[]), $2 ON CONFLICT DO NOTHING`, [teamIds, userId]);
    }
  }

  async existingTeamIds(m: EntityManager, ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const r = await rows<{ id: string }>(m, `SELECT id FROM teams WHERE id = ANY($1::uuid[])`, [ids]);
    return new Set(r.map((x) => x.id));
  }

  async insertTeam(name: string): Promise<{ id: string; name: string; createdAt: Date } | undefined> {
    return one(this.db.manager, `INSERT INTO teams (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id, name, created_at AS "createdAt"`, [name]);
  }

  listTeams(): Promise<{ id: string; name: string; createdAt: Date; memberIds: string[] }[]> {
    return rows(
      this.db.manager,
      `SELECT t.id, t.name, t.created_at AS "createdAt",
              COALESCE((SELECT array_agg(tm.user_id ORDER BY tm.user_id) FROM team_members tm WHERE tm.team_id = t.id), '{}') AS "memberIds"
       FROM teams t ORDER BY t.name`,
    );
  }

  async insertApiKey(name: string, keyHash: string, prefix: string, createdBy: string | null) {
    return one<{ id: string; name: string; prefix: string; createdAt: Date }>(
      this.db.manager,
      `INSERT INTO api_keys (name, key_hash, prefix, created_by) VALUES ($1, $2, $3, $4) RETURNING id, name, prefix, created_at AS "createdAt"`,
      [name, keyHash, prefix, createdBy],
    );
  }

  findActiveApiKey(keyHash: string): Promise<{ id: string; name: string } | undefined> {
    return one(this.db.manager, `SELECT id, name FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, [keyHash]);
  }

  listApiKeys() {
    return rows(this.db.manager, `SELECT id, name, prefix, created_at AS "createdAt", revoked_at AS "revokedAt" FROM api_keys ORDER BY created_at`);
  }

  /** Returns the revoked key's hash (for cache eviction), or undefined if there was no live key. */
  async revokeApiKey(id: string): Promise<string | undefined> {
    const r = await one<{ key_hash: string }>(
      this.db.manager,
      `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING key_hash`,
      [id],
    );
    return r?.key_hash;
  }
}
