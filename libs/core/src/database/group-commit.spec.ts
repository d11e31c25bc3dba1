import { GroupCommit, Settled } from './group-commit';

/** A writer whose batches finish only when the test says so. */
function controlledWriter() {
  const batches: { items: number[]; finish: (r?: Settled<string>[] | Error) => void }[] = [];
  const write = (items: number[]) =>
    new Promise<Settled<string>[]>((resolve, reject) => {
      batches.push({
        items,
        finish: (r) => (r instanceof Error ? reject(r) : resolve(r ?? items.map((i) => ({ ok: true as const, value: `#${i}` })))),
      });
    });
  return { batches, write };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('writes a lone request at once, as a batch of one', async () => {
    const w = controlledWriter();
    const gc = new GroupCommit(w.write, { maxBatch: 10, maxInFlight: 1 });
    const p = gc.submit(1);
    await turn();
    expect(w.batches.map((b) => b.items)).toEqual([[1]]);
    w.batches[0].finish();
    await expect(p).resolves.toBe('#1');
  });

  it('puts requests of one event-loop turn into one batch', async () => {
    const w = controlledWriter();
    const gc = new GroupCommit(w.write, { maxBatch: 10, maxInFlight: 1 });
    const ps = [1, 2, 3].map((i) => gc.submit(i));
    await turn();
    expect(w.batches.map((b) => b.items)).toEqual([[1, 2, 3]]);
    w.batches[0].finish();
    await expect(Promise.all(ps)).resolves.toEqual(['#1', '#2', '#3']);
  });

  it('queues arrivals while the slots are busy and writes them together, in order, when one frees', async () => {
    const w = controlledWriter();
    const gc = new GroupCommit(w.write, { maxBatch: 10, maxInFlight: 2 });
    const first = gc.submit(1);
    await turn();
    const second = gc.submit(2);
    await turn();
    const rest = [3, 4, 5].map((i) => gc.submit(i));
    await turn();
    await turn();
    expect(w.batches.map((b) => b.items)).toEqual([[1], [2]]);
    expect(gc.waiting).toBe(3);
    w.batches[1].finish();
    await second;
    await turn();
    expect(w.batches.map((b) => b.items)).toEqual([[1], [2], [3, 4, 5]]);
    w.batches[2].finish();
    w.batches[0].finish();
    await expect(Promise.all([first, ...rest])).resolves.toEqual(['#1', '#3', '#4', '#5']);
  });

  it('never writes more than maxBatch items at once', async () => {
    const w = controlledWriter();
    const gc = new GroupCommit(w.write, { maxBatch: 2, maxInFlight: 1 });
    const ps = [1, 2, 3, 4, 5].map((i) => gc.submit(i));
    await turn();
    w.batches[0].finish();
    await turn();
    w.batches[1].finish();
    await turn();
    w.batches[2].finish();
    await Promise.all(ps);
    expect(w.batches.map((b) => b.items)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('fails only the item the writer failed', async () => {
    const w = controlledWriter();
    const gc = new GroupCommit(w.write, { maxBatch: 10, maxInFlight: 1 });
    const ps = [1, 2].map((i) => gc.submit(i));
    await turn();
    w.batches[0].finish([
      { ok: true, value: 'one' },
      { ok: false, error: new Error('two is bad') },
    ]);
    await expect(ps[0]).resolves.toBe('one');
    await expect(ps[1]).rejects.toThrow('two is bad');
  });

  it('fails the whole batch when the writer throws, and goes on with the next', async () => {
    const w = controlledWriter();
    const gc = new GroupCommit(w.write, { maxBatch: 10, maxInFlight: 1 });
    const ps = [1, 2].map((i) => gc.submit(i));
    await turn();
    const later = gc.submit(3);
    w.batches[0].finish(new Error('database down'));
    await expect(ps[0]).rejects.toThrow('database down');
    await expect(ps[1]).rejects.toThrow('database down');
    await turn();
    w.batches[1].finish();
    await expect(later).resolves.toBe('#3');
  });

  it('refuses a writer that settles the wrong number of items', async () => {
    const gc = new GroupCommit(async () => [{ ok: true as const, value: 'x' }], { maxBatch: 10, maxInFlight: 1 });
    const ps = [gc.submit(1), gc.submit(2)];
    await expect(ps[0]).rejects.toThrow('1 results for 2 items');
    await expect(ps[1]).rejects.toThrow('1 results for 2 items');
  });
});
