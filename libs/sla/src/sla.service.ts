import { Injectable } from '@nestjs/common';
import { invalid, notFound, one, Principal } from '@keepdesk/core';
import { DataSource } from 'typeorm';
import { addBusinessMinutes, validateCalendar } from './business-time';
import { BreachesQuery, CreateBusinessHoursDto, CreateSlaPolicyDto, DeadlineQuery, SUMMARY_GROUPS, SummaryQuery, UpdateSlaPolicyDto } from './dto/sla.dto';
import { BusinessHours, PolicyWrite, SlaPolicy, SlaPolicyRepository } from './policies/sla-policy.repository';
import { SlaReportsRepository, SummaryCell } from './reports/sla-reports.repository';
import type { SlaEscalation, SlaPolicyMatch } from './sla.entities';

const DAY_MS = 24 * 3600 * 1000;

function presentHours(h: BusinessHours) {
  return { id: h.id, name: h.name, timezone: h.timezone, weekly: h.weekly, holidays: h.holidays, createdAt: h.createdAt, updatedAt: h.updatedAt };
}

function percent(achieved: number, breached: number): number | null {
  const n = achieved + breached;
  return n ? Math.round((10000 * achieved) / n) / 100 : null;
}

function encodeCursor(at: string | Date, id: string): string {
  return Buffer.from(`${new Date(at).toISOString()}|${id}`).toString('base64url');
}

function decodeCursor(c: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(c, 'base64url').toString('utf8').split('|');
  const d = new Date(at ?? '');
  if (Number.isNaN(d.getTime()) || !/^[0-9a-f-]{36}$/i.test(id ?? '')) throw invalid('cursor', 'must be the nextCursor of a previous page');
  return { at: d, id };
}

/** Policies, business hours and the SLA reports (timers live in timers/). */
@Injectable()
export class SlaService {
  constructor(
    private readonly db: DataSource,
    private readonly repo: SlaPolicyRepository,
    private readonly reports: SlaReportsRepository,
  ) {}

  async listPolicies() {
    return { items: await this.repo.list(this.db.manager), nextCursor: null };
  }

  async getPolicy(id: string): Promise<SlaPolicy> {
    const p = await this.repo.byId(this.db.manager, id);
    if (!p) throw notFound('SLA policy', id);
    return p;
  }

  async createPolicy(dto: CreateSlaPolicyDto): Promise<SlaPolicy> {
    const write: PolicyWrite = {
      name: dto.name,
      position: dto.position ?? (await this.repo.nextPosition(this.db.manager)),
      match: this.match(dto.match),
      targets: {
        firstResponseMinutes: dto.targets.firstResponseMinutes ?? null,
        nextResponseMinutes: dto.targets.nextResponseMinutes ?? null,
        resolutionMinutes: dto.targets.resolutionMinutes ?? null,
      },
      warnAtPercent: dto.warnAtPercent ?? 80,
      businessHoursId: dto.businessHoursId ?? null,
      escalation: this.escalation(dto.escalation),
    };
    await this.check(write);
    return this.repo.insert(this.db.manager, write);
  }

  /** Applies to tickets changed from now on; running timers keep the targets they started with. */
  async updatePolicy(id: string, dto: UpdateSlaPolicyDto): Promise<SlaPolicy> {
    const cur = await this.getPolicy(id);
    const write: PolicyWrite = {
      name: dto.name ?? cur.name,
      position: dto.position ?? cur.position,
      match: dto.match !== undefined ? this.match(dto.match) : cur.match,
      targets: dto.targets
        ? {
            firstResponseMinutes: dto.targets.firstResponseMinutes !== undefined ? dto.targets.firstResponseMinutes : cur.targets.firstResponseMinutes,
            nextResponseMinutes: dto.targets.nextResponseMinutes !== undefined ? dto.targets.nextResponseMinutes : cur.targets.nextResponseMinutes,
            resolutionMinutes: dto.targets.resolutionMinutes !== undefined ? dto.targets.resolutionMinutes : cur.targets.resolutionMinutes,
          }
        : cur.targets,
      warnAtPercent: dto.warnAtPercent ?? cur.warnAtPercent,
      businessHoursId: dto.businessHoursId !== undefined ? dto.businessHoursId : cur.businessHoursId,
      escalation: dto.escalation !== undefined ? this.escalation(dto.escalation) : cur.escalation,
    };
    await this.check(write);
    const updated = await this.repo.update(this.db.manager, id, write);
    if (!updated) throw notFound('SLA policy', id);
    return updated;
  }

  private match(m: SlaPolicyMatch | undefined): SlaPolicyMatch {
    const out: SlaPolicyMatch = {};
    if (m?.priorities?.length) out.priorities = [...new Set(m.priorities)];
    if (m?.channels?.length) out.channels = [...new Set(m.channels)];
    if (m?.teamIds?.length) out.teamIds = [...new Set(m.teamIds)];
    if (m?.tags?.length) out.tags = [...new Set(m.tags)];
    return out;
  }

  private escalation(e: SlaEscalation | null | undefined): SlaEscalation | null {
    if (!e || (!e.raisePriority && !e.moveToTeamId)) return null;
    return { ...(e.raisePriority ? { raisePriority: e.raisePriority } : {}), ...(e.moveToTeamId ? { moveToTeamId: e.moveToTeamId } : {}) };
  }

  private async check(p: PolicyWrite): Promise<void> {
    const t = p.targets;
    if (!t.firstResponseMinutes && !t.nextResponseMinutes && !t.resolutionMinutes) {
      throw invalid('targets', 'must set at least one of firstResponseMinutes, nextResponseMinutes, resolutionMinutes');
    }
    const m = this.db.manager;
    if (p.businessHoursId && !(await this.repo.hoursById(m, p.businessHoursId))) throw invalid('businessHoursId', `refers to unknown business hours ${p.businessHoursId}`);
    for (const teamId of p.match.teamIds ?? []) {
      if (!(await one(m, `SELECT 1 FROM teams WHERE id = $1`, [teamId]))) throw invalid('match.teamIds', `refers to unknown team ${teamId}`);
    }
    if (p.escalation?.moveToTeamId && !(await one(m, `SELECT 1 FROM teams WHERE id = $1`, [p.escalation.moveToTeamId]))) {
      throw invalid('escalation.moveToTeamId', `refers to unknown team ${p.escalation.moveToTeamId}`);
    }
  }

  async createHours(dto: CreateBusinessHoursDto) {
    const cal = { timezone: dto.timezone, weekly: dto.weekly.map((w) => ({ day: w.day, open: w.open, close: w.close })), holidays: [...new Set(dto.holidays ?? [])].sort() };
    const problem = validateCalendar(cal);
    if (problem) {
      // validateCalendar names the field (timezone, weekly[i].open, holidays[i]…).
      const field = problem.split(' ')[0];
      throw invalid(field, problem.slice(field.length + 1));
    }
    return presentHours(await this.repo.insertHours(this.db.manager, { name: dto.name, ...(cal as Omit<BusinessHours, 'id' | 'name' | 'createdAt' | 'updatedAt'>) }));
  }

  async listHours() {
    return { items: (await this.repo.listHours(this.db.manager)).map(presentHours), nextCursor: null };
  }

  async getHours(id: string) {
    const h = await this.repo.hoursById(this.db.manager, id);
    if (!h) throw notFound('business hours', id);
    return presentHours(h);
  }

  /** The same arithmetic the timers use (addBusinessMinutes). */
  async deadline(id: string, q: DeadlineQuery) {
    const h = await this.repo.hoursById(this.db.manager, id);
    if (!h) throw notFound('business hours', id);
    return { dueAt: addBusinessMinutes(h, new Date(q.from), q.minutes).toISOString() };
  }

  async breaches(q: BreachesQuery, by: Principal) {
    const limit = q.limit ?? 50;
    const items = await this.reports.breaches(this.db.manager, {
      teamId: q.teamId,
      assigneeId: q.assigneeId,
      ticketId: q.ticketId,
      policyId: q.policyId,
      priority: q.priority,
      target: q.target,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      before: q.cursor ? decodeCursor(q.cursor) : undefined,
      visibleTo: by.kind === 'user' && by.role === 'agent' ? { userId: by.userId, teamIds: by.teamIds } : undefined,
      limit,
    });
    const last = items[items.length - 1];
    return { items, nextCursor: items.length === limit && last ? encodeCursor(last.breachedAt, last.timerId) : null };
  }

  async summary(q: SummaryQuery) {
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * DAY_MS);
    if (from.getTime() >= to.getTime()) throw invalid('from', 'must be before to');
    const groups = q.groupBy?.length ? [...new Set(q.groupBy)] : [...SUMMARY_GROUPS];
    const shape = (cells: SummaryCell[], keyName?: string) =>
      cells.map((c) => ({
        ...(keyName ? { [keyName]: c.key } : {}),
        target: c.target,
        achieved: c.achieved,
        breached: c.breached,
        achievementPercent: percent(c.achieved, c.breached),
      }));
    const keyNames: Record<string, string> = { team: 'teamId', priority: 'priority', agent: 'agentId' };
    const out: Record<string, unknown> = { from: from.toISOString(), to: to.toISOString(), overall: shape(await this.reports.summary(this.db.manager, from, to, null, q.teamId)) };
    for (const g of groups) {
      out[`by${g[0].toUpperCase()}${g.slice(1)}`] = shape(await this.reports.summary(this.db.manager, from, to, g, q.teamId), keyNames[g]);
    }
    return out;
  }
}
