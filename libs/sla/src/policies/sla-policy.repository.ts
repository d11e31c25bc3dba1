import { Injectable } from '@nestjs/common';
import { one, rows } from '@keepdesk/core';
import { EntityManager } from 'typeorm';
import type { BusinessCalendar } from '../business-time';
import type { SlaEscalation, SlaPolicyMatch } from '../sla.entities';

export interface SlaPolicy {
  id: string;
  name: string;
  position: number;
  match: SlaPolicyMatch;
  targets: { firstResponseMinutes: number | null; nextResponseMinutes: number | null; resolutionMinutes: number | null };
  warnAtPercent: number;
  businessHoursId: string | null;
  escalation: SlaEscalation | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface BusinessHours extends BusinessCalendar {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toPolicy(r: Record<string, any>): SlaPolicy {
  return {
    id: r.id,
    name: r.name,
    position: Number(r.position),
    match: r.match ?? {},
    targets: {
      firstResponseMinutes: num(r.first_response_minutes),
      nextResponseMinutes: num(r.next_response_minutes),
      resolutionMinutes: num(r.resolution_minutes),
    },
    warnAtPercent: Number(r.warn_at_percent),
    businessHoursId: r.business_hours_id,
    escalation: r.escalation ?? null,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

function toHours(r: Record<string, any>): BusinessHours {
  return {
    id: r.id,
    name: r.name,
    timezone: r.timezone,
    weekly: r.weekly,
    holidays: r.holidays ?? [],
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

export type PolicyWrite = Omit<SlaPolicy, 'id' | 'createdAt' | 'updatedAt'>;

/** sla_policies and business_hours: small configuration tables, read whole. */
@Injectable()
export class SlaPolicyRepository {
  async list(m: EntityManager): Promise<SlaPolicy[]> {
    return (await rows(m, `SELECT * FROM sla_policies ORDER BY position, created_at, id`)).map(toPolicy);
  }

  async byId(m: EntityManager, id: string): Promise<SlaPolicy | undefined> {
    const r = await one(m, `SELECT * FROM sla_policies WHERE id = $1`, [id]);
    return r ? toPolicy(r) : undefined;
  }

  async byIds(m: EntityManager, ids: string[]): Promise<Map<string, SlaPolicy>> {
    if (!ids.length) return new Map();
    const r = await rows(m, `SELECT * FROM sla_policies WHERE id = ANY($1::uuid[])`, [ids]);
    return new Map(r.map((x) => [x.id as string, toPolicy(x)]));
  }

  async nextPosition(m: EntityManager): Promise<number> {
    const r = await one<{ p: number }>(m, `SELECT COALESCE(MAX(position), 0) + 1 AS p FROM sla_policies`);
    return Number(r?.p ?? 1);
  }

  async insert(m: EntityManager, p: PolicyWrite): Promise<SlaPolicy> {
    const r = await one(
      m,
      `INSERT INTO sla_policies (name, position, match, first_response_minutes, next_response_minutes, resolution_minutes,
         warn_at_percent, business_hours_id, escalation)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9::jsonb) RETURNING *`,
      [p.name, p.position, JSON.stringify(p.match), p.targets.firstResponseMinutes, p.targets.nextResponseMinutes,
        p.targets.resolutionMinutes, p.warnAtPercent, p.businessHoursId, p.escalation ? JSON.stringify(p.escalation) : null],
    );
    return toPolicy(r!);
  }

  async update(m: EntityManager, id: string, p: PolicyWrite): Promise<SlaPolicy | undefined> {
    const r = await one(
      m,
      `UPDATE sla_policies SET name = $2, position = $3, match = $4::jsonb, first_response_minutes = $5, next_response_minutes = $6,
         resolution_minutes = $7, warn_at_percent = $8, business_hours_id = $9, escalation = $10::jsonb, updated_at = now()
       WHERE id = $1 RETURNING *`,
      [id, p.name, p.position, JSON.stringify(p.match), p.targets.firstResponseMinutes, p.targets.nextResponseMinutes,
        p.targets.resolutionMinutes, p.warnAtPercent, p.businessHoursId, p.escalation ? JSON.stringify(p.escalation) : null],
    );
    return r ? toPolicy(r) : undefined;
  }

  async listHours(m: EntityManager): Promise<BusinessHours[]> {
    return (await rows(m, `SELECT * FROM business_hours ORDER BY name, id`)).map(toHours);
  }

  async hoursById(m: EntityManager, id: string): Promise<BusinessHours | undefined> {
    const r = await one(m, `SELECT * FROM business_hours WHERE id = $1`, [id]);
    return r ? toHours(r) : undefined;
  }

  async hoursByIds(m: EntityManager, ids: string[]): Promise<Map<string, BusinessHours>> {
    if (!ids.length) return new Map();
    const r = await rows(m, `SELECT * FROM business_hours WHERE id = ANY($1::uuid[])`, [ids]);
    return new Map(r.map((x) => [x.id as string, toHours(x)]));
  }

  async insertHours(m: EntityManager, h: Omit<BusinessHours, 'id' | 'createdAt' | 'updatedAt'>): Promise<BusinessHours> {
    const r = await one(
      m,
      `INSERT INTO business_hours (name, timezone, weekly, holidays) VALUES ($1, $2, $3::jsonb, $4::jsonb) RETURNING *`,
      [h.name, h.timezone, JSON.stringify(h.weekly), JSON.stringify(h.holidays)],
    );
    return toHours(r!);
  }
}
