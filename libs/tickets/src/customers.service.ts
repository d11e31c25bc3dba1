import { Injectable } from '@nestjs/common';
import { invalid, notFound, Principal } from '@keepdesk/core';
import { DataSource, EntityManager } from 'typeorm';
import { CustomersRepository } from './customers.repository';
import { UpsertCustomerDto } from './tickets.dto';
import { present } from './tickets.service';
import { TicketsRepository } from './tickets.repository';

/** Fields other domains add to GET /api/customers/:id (orders, health). */
export interface CustomerViewExtension {
  readonly field: string;
  load(m: EntityManager, customerId: string): Promise<unknown>;
}

@Injectable()
export class CustomersService {
  private readonly extensions: CustomerViewExtension[] = [];

  constructor(
    private readonly db: DataSource,
    private readonly repo: CustomersRepository,
    private readonly tickets: TicketsRepository,
  ) {}

  registerView(ext: CustomerViewExtension): void {
    if (!this.extensions.some((e) => e.field === ext.field)) this.extensions.push(ext);
  }

  upsert(dto: UpsertCustomerDto) {
    if (!dto.externalId && !dto.email) throw invalid('email', 'or externalId is required');
    return this.repo.upsert(this.db.manager, dto);
  }

  async get(id: string, by: Principal) {
    const c = await this.repo.findById(this.db.manager, id);
    if (!c) throw notFound('customer', id);
    const tickets = await this.tickets.list(this.db.manager, {
      customerId: id,
      limit: 100,
      visibleTo: by.kind === 'user' && by.role === 'agent' ? { userId: by.userId, teamIds: by.teamIds } : undefined,
    });
    const out: Record<string, unknown> = { ...c, tickets: tickets.map(present), orders: [], health: null };
    for (const ext of this.extensions) out[ext.field] = await ext.load(this.db.manager, id);
    return out;
  }
}
