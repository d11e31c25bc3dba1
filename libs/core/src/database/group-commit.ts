/** One item's outcome in a batch: its value, or the error that fails only that item. */
export type Settled<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface GroupCommitOptions {
  /** Most items written in one batch. */
  maxBatch: number;
  /** Batches being written at once (each holds one database connection). */
  maxInFlight: number;
}

/**
 * Group commit for writes that arrive concurrently: requests queue while batches are being written,
 * and a free slot takes everything queued (up to maxBatch) as the next batch, so many requests share
 * one transaction and one commit. There is no timer: a request arriving at an idle writer goes in the
 * next turn of the event loop, alone, so light load pays no latency; under load batches grow with
 * the queue, and throughput with them.
 *
 * `write` settles every item of its batch (a value or an error per item); if it throws instead, the
 * whole batch fails with that error.
 */
export class GroupCommit<I, O> {
  private readonly queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly write: (items: I[]) => Promise<Settled<O>[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // setImmediate, not a microtask: requests parsed in the same I/O turn join one batch.
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.drain();
        });
      }
    });
  }

  /** Requests waiting for a slot (for metrics and tests). */
  get waiting(): number {
    return this.queue.length;
  }

  private drain(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async run(batch: typeof this.queue): Promise<void> {
    let results: Settled<O>[];
    try {
      results = await this.write(batch.map((b) => b.item));
      if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
    } catch (e) {
      for (const b of batch) b.reject(e);
      return;
    }
    batch.forEach((b, i) => {
      const r = results[i];
      if (r.ok) b.resolve(r.value);
      else b.reject(r.error);
    });
  }
}
