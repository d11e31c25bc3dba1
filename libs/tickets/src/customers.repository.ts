import { Injectable } from '@nestjs/common';
import { one } from '@keepdesk/core';
import { EntityManager } from 'typeorm';

export interface CustomerInput {
  externalId?: string | null;
  email?: string | null;
  name?: string | null;
  phone?: string | null;
  locale?: string | null;
}

export interface CustomerRow {
  id: string;
  externalId: string | null;
  email: string | null;
  name: string | null;
  phone: string | null;
  locale: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLS = `id, external_id AS "externalId", email, name, phone, locale, created_at AS "createdAt", updated_at AS "updatedAt"`;

/**
 * Customer upsert: by externalId, else by case-insensitive email (emails are stored lower-cased).
 * Each path is one INSERT … ON CONFLICT, so concurrent creations of one customer give one row.
 * Other domains (orders) reuse upsert().
 */
@Injectable()
export class CustomersRepository {
  async upsert(m: Pick<EntityManager, 'query'>, input: CustomerInput): Promise<CustomerRow> {
    const email = input.email?.trim().toLowerCase() || null;
    const params = [input.externalId ?? null, email, input.name ?? null, input.phone ?? null, input.locale ?? null];
    if (input.externalId) {
      try {
        return (await one<CustomerRow>(
          m,
          `INSERT INTO customers (external_id, email, name, phone, locale) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (external_id) DO UPDATE SET
             email = COALESCE(EXCLUDED.email, customers.email),
             name = COALESCE(EXCLUDED.name, customers.name),
             phone = COALESCE(EXCLUDED.phone, customers.phone),
             locale = COALESCE(EXCLUDED.locale, customers.locale),
             updated_at = now()
           RETURNING ${COLS}`,
          params,
        ))!;
      } catch (e) {
        // The email belongs to a customer created without an externalId: adopt it.
        if ((e as { code?: string }).code !== '23505' || !email) throw e;
        const adopted = await one<CustomerRow>(
          m,
          `UPDATE customers SET external_id = COALESCE(external_id, $1), name = COALESCE($3, name), phone = COALESCE($4, phone),
             locale = COALESCE($5, locale), updated_at = now()
           WHERE email = $2 RETURNING ${COLS}`,
          params,
        );
        if (adopted) return adopted;
        throw e;
      }
    }
    return (await one<CustomerRow>(
      m,
      `INSERT INTO customers (external_id, email, name, phone, locale) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (email) DO UPDATE SET
         name = COALESCE(EXCLUDED.name, customers.name),
         phone = COALESCE(EXCLUDED.phone, customers.phone),
         locale = COALESCE(EXCLUDED.locale, customers.locale),
         updated_at = now()
       RETURNING ${COLS}`,
      params,
    ))!;
  }

  findById(m: Pick<EntityManager, 'query'>, id: string): Promise<CustomerRow | undefined> {
    return one<CustomerRow>(m, `SELECT ${COLS} FROM customers WHERE id = $1`, [id]);
  }
}
