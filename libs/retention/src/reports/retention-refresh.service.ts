import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TicketRetentionRepository } from '../linking/ticket-retention.repository';
import { RetentionRollupRepository } from './retention-rollup.repository';

/** SQLSTATE deadlock_detected. */
const DEADLOCK = '40P01';
/** Customers relinked per statement when draining the link queue. */
const LINK_CHUNK = 20000;

/**
 * Brings the derived retention data up to date before it is read: queued repurchase links
 * (bulk imports), then the report rollup's dirty days. Both are owed work recorded in tables, so a
 * crash loses nothing; whoever reads next does it.
 */
@Injectable()
export class RetentionRefreshService {
  private readonly logger = new Logger(RetentionRefreshService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly links: TicketRetentionRepository,
    private readonly rollup: RetentionRollupRepository,
  ) {}

  /**
   * Before a read: one query says whether anything is owed (the usual answer is no, and then a
   * report pays one round trip), then queued links, then — if the reader uses it — the rollup.
   */
  async catchUp(rollup: boolean): Promise<void> {
    const owed = await this.rollup.owed(this.ds.manager);
    if (owed.links) await this.drainLinks();
    if (rollup && (owed.links || owed.days)) await this.rebuildRollup();
  }

  /**
   * Relinks every queued customer, a chunk per transaction. Returns customers relinked. A chunk's
   * UPDATE locks many tickets at once, so it can deadlock with a ticket transaction touching two of
   * them; Postgres then cancels one side, and if it is the chunk, it is simply run again (its queue
   * rows were rolled back with it).
   */
  async drainLinks(): Promise<number> {
    let total = 0;
    for (let deadlocks = 0; ; ) {
      let n: number;
      try {
        n = await this.ds.transaction((tx) => this.links.drainLinks(tx, LINK_CHUNK));
      } catch (e) {
        if ((e as { code?: string }).code !== DEADLOCK || ++deadlocks > 3) throw e;
        this.logger.warn(`relinking chunk deadlocked with a ticket transaction; retrying (${deadlocks})`);
        continue;
      }
      total += n;
      if (n < LINK_CHUNK) return total;
    }
  }

  /** Rebuilds the rollup's dirty days (one rebuild at a time across instances). Returns days rebuilt. */
  rebuildRollup(): Promise<number> {
    return this.ds.transaction((tx) => this.rollup.rebuildDirty(tx));
  }

  /** Links, then the rollup; for after a bulk import, so the first report finds it built. */
  refreshInBackground(): void {
    const started = Date.now();
    this.drainLinks()
      .then(() => this.rebuildRollup())
      .then((days) => days && this.logger.log(`retention rollup: ${days} day(s) rebuilt in ${Date.now() - started} ms`))
      .catch((e: Error) => this.logger.warn(`retention refresh after import failed (the next report retries): ${e.message}`));
  }
}
