import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
import { DataSource } from 'typeorm';
import { TicketRetentionRepository } from '../linking/ticket-retention.repository';
import { RetentionRefreshService } from '../reports/retention-refresh.service';
import { CSV_COLUMNS, normalizeCsvOrder, normalizeOrder, OrderInput, OrderInputError } from './order-input';
import { OrdersRepository, orderView } from './orders.repository';

export interface ImportReport {
  imported: number;
  duplicates: number;
  errors: { line: number; message: string }[];
  /** Errors beyond the first MAX_REPORTED_ERRORS are counted, not listed (bounded memory). */
  errorsOmitted: number;
}

export type ImportFormat = 'ndjson' | 'csv';

const BATCH = 5000;
const MAX_REPORTED_ERRORS = 1000;

@Injectable()
export class OrdersService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly orders: OrdersRepository,
    private readonly links: TicketRetentionRepository,
    private readonly refresh: RetentionRefreshService,
  ) {}

  /**
   * One order, idempotent on externalId: `created` false means it was already there (the stored
   * order is returned unchanged, even if this copy differs). Concurrent duplicates are settled by
   * the unique index: the losers' INSERT waits for the winner and then does nothing.
   */
  async create(input: OrderInput, source: 'api' | 'webhook'): Promise<{ created: boolean; order: ReturnType<typeof orderView> }> {
    const existing = await this.orders.findByExternalId(this.ds.manager, input.externalId);
    if (existing) return { created: false, order: orderView(existing) };
    const customers = await this.orders.resolveCustomers(this.ds.manager, [input.customer]);
    const customerId = customers.get(this.orders.customerKey(input.customer)) as string;
    const inserted = await this.ds.transaction(async (tx) => {
      const ins = await this.orders.insertMany(tx, [{ input, customerId }], source);
      await this.links.linkOrders(tx, ins);
      return ins;
    });
    const stored = inserted.length
      ? await this.orders.findById(this.ds.manager, inserted[0].id)
      : await this.orders.findByExternalId(this.ds.manager, input.externalId);
    return { created: inserted.length > 0, order: orderView(stored!) };
  }

  /**
   * Streams the body line by line; every BATCH valid rows become one customer resolution and one
   * multi-row INSERT … ON CONFLICT DO NOTHING in one transaction, which also queues the customers
   * for linking. One batch is written while the next is parsed; the loop waits for the previous
   * write before starting another, so the socket is read no faster than Postgres writes and memory
   * stays at two batches, whatever the file size.
   *
   * Batches commit with synchronous_commit off (no WAL flush wait each); before answering, the
   * import links the queued customers and ends with a synchronous commit, which flushes the WAL
   * up to it — every batch included. So nothing the answer counts can be lost in a crash; a crash
   * before the answer may keep some batches, which a retry finds as duplicates.
   */
  async import(body: Readable, format: ImportFormat): Promise<ImportReport> {
    const report: ImportReport = { imported: 0, duplicates: 0, errors: [], errorsOmitted: 0 };
    const fail = (line: number, message: string) => {
      if (report.errors.length < MAX_REPORTED_ERRORS) report.errors.push({ line, message });
      else report.errorsOmitted++;
    };
    let batch: { line: number; input: OrderInput }[] = [];
    let writing: Promise<void> = Promise.resolve();
    const flush = async () => {
      if (!batch.length) return;
      const current = batch;
      batch = [];
      await writing;
      writing = this.writeBatch(current, report);
      // Settled by the next flush's await; this keeps a failure from being reported as unhandled meanwhile.
      writing.catch(() => undefined);
    };
    for await (const { line, value } of format === 'csv' ? csvRows(body) : ndjsonRows(body)) {
      if (value instanceof Error) {
        fail(line, value.message);
        continue;
      }
      try {
        batch.push({ line, input: format === 'csv' ? normalizeCsvOrder(value as Record<string, string>) : normalizeOrder(value) });
      } catch (e) {
        if (e instanceof OrderInputError) fail(line, e.message);
        else throw e;
        continue;
      }
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    await writing;
    await this.refresh.drainLinks();
    // The durable point for every batch above (see the method comment): a transaction with an xid commits synchronously.
    await this.ds.transaction((tx) => tx.query(`SELECT pg_current_xact_id()`));
    if (report.imported) this.refresh.refreshInBackground();
    return report;
  }

  private async writeBatch(batch: { line: number; input: OrderInput }[], report: ImportReport): Promise<void> {
    const customers = await this.orders.resolveCustomers(this.ds.manager, batch.map((b) => b.input.customer));
    const inserted = await this.ds.transaction(async (tx) => {
      await tx.query(`SET LOCAL synchronous_commit = off`);
      const ins = await this.orders.insertMany(
        tx,
        batch.map((b) => ({ input: b.input, customerId: customers.get(this.orders.customerKey(b.input.customer)) as string })),
        'import',
      );
      await this.links.enqueueLinks(
        tx,
        ins.map((o) => o.customer_id),
      );
      return ins;
    });
    report.imported += inserted.length;
    report.duplicates += batch.length - inserted.length;
  }
}

type Row = { line: number; value: unknown };

async function* ndjsonRows(body: Readable): AsyncGenerator<Row> {
  const lines = createInterface({ input: body, crlfDelay: Infinity });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (!text.trim()) continue;
    try {
      yield { line: n, value: JSON.parse(text) };
    } catch {
      yield { line: n, value: new Error('is not valid JSON') };
    }
  }
}

/**
 * CSV with a header row naming the columns (any order; the six of SPEC are expected). Line numbers
 * are the file's lines (header = line 1), as a spreadsheet shows them.
 */
async function* csvRows(body: Readable): AsyncGenerator<Row> {
  const parser = body.pipe(
    parseCsv({ columns: false, info: true, skip_empty_lines: true, relax_column_count: true, trim: true, bom: true }),
  );
  let header: string[] | null = null;
  let lastLine = 1;
  const records = parser as AsyncIterable<{ record: string[]; info: { lines: number } }>;
  try {
    for await (const row of csvRecords(records, header, (h) => (header = h), (l) => (lastLine = l))) yield row;
  } catch (e) {
    // Malformed CSV (e.g. an unclosed quote) cannot be resynchronised: report where and stop.
    const line = (e as { lines?: number }).lines ?? lastLine;
    yield { line, value: new Error(`CSV parse error: ${(e as Error).message}; import stopped here`) };
  }
}

async function* csvRecords(
  records: AsyncIterable<{ record: string[]; info: { lines: number } }>,
  initialHeader: string[] | null,
  setHeader: (h: string[]) => void,
  setLine: (l: number) => void,
): AsyncGenerator<Row> {
  let header = initialHeader;
  for await (const rec of records) {
    const { record, info } = rec;
    setLine(info.lines);
    if (!header) {
      header = record.map((h) => h.trim());
      setHeader(header);
      const missing = CSV_COLUMNS.filter((c) => c !== 'customerExternalId' && c !== 'customerEmail' && !header!.includes(c));
      if (missing.length) {
        yield { line: info.lines, value: new Error(`header is missing column(s) ${missing.join(', ')} (expected ${CSV_COLUMNS.join(',')})`) };
        return;
      }
      continue;
    }
    if (record.length !== header.length) {
      yield { line: info.lines, value: new Error(`has ${record.length} fields, the header has ${header.length}`) };
      continue;
    }
    const fields: Record<string, string> = {};
    header.forEach((h, i) => (fields[h] = record[i]));
    yield { line: info.lines, value: fields };
  }
}
