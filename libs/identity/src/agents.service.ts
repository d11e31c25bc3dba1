import { Inject, Injectable, Logger, OnApplicationBootstrap, UnauthorizedException } from '@nestjs/common';
import bcrypt from 'bcryptjs';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, conflict, forbidden, invalid, notFound, Principal, Role } from '@keepdesk/core';
import { AuthTokens } from './auth-tokens.service';
import { CreateAgentDto, UpdateAgentDto } from './identity.dto';
import { IdentityRepository, UserRow } from './identity.repository';

const BCRYPT_ROUNDS = 10;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_ROUNDS);
}

/** Agents, supervisors and admins: login, management, and the admin created from the environment. */
@Injectable()
export class AgentsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AgentsService.name);
  /** Compared against when the email is unknown, so timing does not reveal which emails exist. */
  private readonly dummyHash = bcrypt.hashSync('keepdesk-timing-guard', BCRYPT_ROUNDS);

  constructor(
    private readonly db: DataSource,
    private readonly repo: IdentityRepository,
    private readonly tokens: AuthTokens,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** ADMIN_EMAIL/ADMIN_PASSWORD: a fresh install always has a way in. The password is never logged. */
  async onApplicationBootstrap(): Promise<void> {
    const { adminEmail, adminPassword } = this.config;
    if (!adminEmail || !adminPassword) return;
    const id = await this.repo.insertUser(this.db.manager, {
      email: adminEmail,
      name: 'Administrator',
      passwordHash: await hashPassword(adminPassword),
      role: 'admin',
      available: false,
    });
    if (id) this.logger.log(`created admin ${adminEmail.toLowerCase()} from ADMIN_EMAIL`);
  }

  async login(email: string, password: string): Promise<{ accessToken: string; user: UserRow }> {
    const user = await this.repo.findUserByEmailWithHash(email);
    const ok = await bcrypt.compare(password, user?.passwordHash ?? this.dummyHash);
    if (!user || !ok) throw new UnauthorizedException('email or password is wrong');
    if (!user.active) throw new UnauthorizedException('this account is deactivated');
    const { passwordHash: _, ...rest } = user;
    return { accessToken: this.tokens.sign({ sub: user.id, role: user.role }), user: rest };
  }

  async get(id: string): Promise<UserRow> {
    const u = await this.repo.findUserById(id);
    if (!u) throw notFound('agent', id);
    return u;
  }

  list(): Promise<UserRow[]> {
    return this.repo.listUsers();
  }

  async create(dto: CreateAgentDto): Promise<UserRow> {
    const passwordHash = await hashPassword(dto.password);
    return this.db.transaction(async (tx) => {
      await this.assertTeams(tx, dto.teamIds ?? []);
      const id = await this.repo.insertUser(tx, { ...dto, passwordHash });
      if (!id) throw conflict(`email ${dto.email.toLowerCase()} is already used by another agent`, 'email');
      await this.repo.setTeams(tx, id, dto.teamIds ?? []);
      return (await this.repo.findUserById(id, tx))!;
    });
  }

  /** Admins change anything; an agent may only mark themself available or away. */
  async update(id: string, dto: UpdateAgentDto, by: Principal): Promise<UserRow> {
    if (by.kind !== 'user') throw forbidden();
    if (by.role !== 'admin') {
      const keys = Object.keys(dto).filter((k) => (dto as Record<string, unknown>)[k] !== undefined);
      if (by.userId !== id || keys.some((k) => k !== 'available')) throw forbidden('Only admins may change agents; agents may change their own availability');
    }
    if (by.userId === id && (dto.role !== undefined && dto.role !== by.role || dto.active === false)) {
      throw invalid('role', 'cannot be changed on your own account (ask another admin)');
    }
    const passwordHash = dto.password ? await hashPassword(dto.password) : undefined;
    return this.db.transaction(async (tx) => {
      const existing = await this.repo.findUserById(id, tx);
      if (!existing) throw notFound('agent', id);
      if (dto.teamIds) {
        await this.assertTeams(tx, dto.teamIds);
        await this.repo.setTeams(tx, id, dto.teamIds);
      }
      await this.repo.updateUser(tx, id, {
        name: dto.name,
        role: dto.role as Role | undefined,
        capacity: dto.capacity,
        available: dto.available,
        active: dto.active,
        passwordHash,
      });
      return (await this.repo.findUserById(id, tx))!;
    });
  }

  private async assertTeams(tx: import('typeorm').EntityManager, teamIds: string[]): Promise<void> {
    const found = await this.repo.existingTeamIds(tx, teamIds);
    const missing = teamIds.filter((t) => !found.has(t));
    if (missing.length) throw invalid('teamIds', `contains unknown team ${missing[0]}`);
  }
}
