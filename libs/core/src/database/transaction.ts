import { DataSource, EntityManager } from 'typeorm';

export type AfterCommit = (fn: () => Promise<void> | void) => void;

/**
 * Runs fn in one transaction; callbacks registered with afterCommit run only once it committed
 * (so no event is published for a write that rolled back). Callback errors are reported, not thrown:
 * the write is already durable and the durable event log is the source of truth.
 */
export async function inTransaction<T>(
  ds: DataSource,
  fn: (tx: EntityManager, afterCommit: AfterCommit) => Promise<T>,
  onCallbackError: (e: unknown) => void = () => undefined,
): Promise<T> {
  const callbacks: (() => Promise<void> | void)[] = [];
  const result = await ds.transaction((tx) => fn(tx, (cb) => callbacks.push(cb)));
  for (const cb of callbacks) {
    try {
      await cb();
    } catch (e) {
      onCallbackError(e);
    }
  }
  return result;
}
