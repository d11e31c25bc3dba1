import { Injectable } from '@nestjs/common';
import { one, rows } from '@keepdesk/core';
import { CustomersRepository } from '@keepdesk/tickets';
import { EntityManager } from 'typeorm';
import { uuidV7s } from './order-ids';
import { OrderInput } from './order-input';

export interface CustomerRef {
  externalId: string | null;
  email: string | null;
  name: string | null;
}

export interface StoredOrder {
  id: string;
  external_id: string;
  customer_id: string;
  placed_at: Date;
  total: string;
  currency: string;
  items: unknown[] | null;
  source: string;
  created_at: Date;
}

export interface InsertedOrder {
  id: string;
  external_id: string;
  customer_id: string;
  placed_at: Date;
}

function refKey(c: CustomerRef): string {
  return c.externalId !== null ? `x:${c.externalId}` : `e:${c.email}`;
}

/** Orders and the customer matching they need. The only code here that writes `orders`. */
@Injectable()
export class OrdersRepository {
  constructor(private readonly customers: CustomersRepository) {}

  /**
   * Resolves many customer references at once: externalId, else email (stored lower-cased),
   * else a new customer (same rules as POST /api/customers). Lookup is one statement per batch
   * because the importer calls this for every batch.
   * Returns a map from refKey to customer id.
   */
  async resolveCustomers(m: EntityManager, refs: CustomerRef[]): Promise<Map<string, string>> {
    const unique = new Map<string, CustomerRef>();
    for (const r of refs) if (!unique.has(refKey(r))) unique.set(refKey(r), r);
    const out = new Map<string, string>();
    const lookup = async (pending: CustomerRef[]) => {
      const exts = pending.map((r) => r.externalId).filter((v): v is string => v !== null);
      const emails = pending.map((r) => r.email).filter((v): v is string => v !== null);
      const found = await rows<{ id: string; external_id: string | null; email: string | null }>(
        m,
        `SELECT id, external_id, email FROM customers WHERE external_id = ANY($1::text[]) OR email = ANY($2::text[])`,
        [exts, emails],
      );
      const byExt = new Map(found.filter((f) => f.external_id !== null).map((f) => [f.external_id as string, f.id]));
      const byEmail = new Map(found.filter((f) => f.email !== null).map((f) => [f.email as string, f.id]));
      for (const r of pending) {
        const id = (r.externalId !== null ? byExt.get(r.externalId) : undefined) ?? (r.email !== null ? byEmail.get(r.email) : undefined);
        if (id) out.set(refKey(r), id);
      }
    };
    await lookup([...unique.values()]);
    // New customers go through the tickets domain's upsert (one INSERT … ON CONFLICT each, with
    // its adopt-by-email rule), so there is one definition of customer matching. Existing
    // customers, the bulk of any real import, were found set-wise above.
    for (const r of [...unique.values()].filter((r) => !out.has(refKey(r)))) {
      const c = await this.customers.upsert(m, { externalId: r.externalId, email: r.email, name: r.name });
      out.set(refKey(r), c.id);
    }
    return out;
  }

  customerKey(c: CustomerRef): string {
    return refKey(c);
  }

  /**
   * Multi-row INSERT … ON CONFLICT DO NOTHING: returns only the orders that are new. Rows go in
   * externalId order, so two imports carrying the same orders wait for each other instead of
   * deadlocking; ids are time-ordered (order-ids.ts), so the primary key grows at one end.
   */
  async insertMany(m: EntityManager, orders: { input: OrderInput; customerId: string }[], source: string): Promise<InsertedOrder[]> {
    if (!orders.length) return [];
    return rows<InsertedOrder>(
      m,
      `INSERT INTO orders (id, external_id, customer_id, placed_at, total, currency, items, source)
       SELECT id, e, c, p, t, cur, i, $7 FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::numeric[], $5::text[], $6::jsonb[], $8::uuid[]) AS u(e, c, p, t, cur, i, id)
       ORDER BY e
       ON CONFLICT (external_id) DO NOTHING
       RETURNING id, external_id, customer_id, placed_at`,
      [
        orders.map((o) => o.input.externalId),
        orders.map((o) => o.customerId),
        orders.map((o) => o.input.placedAt.toISOString()),
        orders.map((o) => o.input.total),
        orders.map((o) => o.input.currency),
        orders.map((o) => (o.input.items ? JSON.stringify(o.input.items) : null)),
        source,
        uuidV7s(orders.length),
      ],
    );
  }

  async findByExternalId(m: EntityManager, externalId: string): Promise<StoredOrder | undefined> {
    return one<StoredOrder>(m, `SELECT * FROM orders WHERE external_id = $1`, [externalId]);
  }

  /** A customer's latest orders, newest first (GET /api/customers/:id). */
  listByCustomer(m: Pick<EntityManager, 'query'>, customerId: string, limit = 100): Promise<StoredOrder[]> {
    return rows<StoredOrder>(m, `SELECT * FROM orders WHERE customer_id = $1 ORDER BY placed_at DESC, id LIMIT $2`, [customerId, limit]);
  }

  async findById(m: EntityManager, id: string): Promise<StoredOrder | undefined> {
    return one<StoredOrder>(m, `SELECT * FROM orders WHERE id = $1`, [id]);
  }
}

export function orderView(o: StoredOrder) {
  return {
    id: o.id,
    externalId: o.external_id,
    customerId: o.customer_id,
    placedAt: new Date(o.placed_at).toISOString(),
    total: Number(o.total),
    currency: o.currency,
    items: o.items ?? [],
    source: o.source,
    createdAt: new Date(o.created_at).toISOString(),
  };
}
