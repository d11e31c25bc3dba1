import type { LogEvent } from './inbox.repository';
import { decodeHint, encodeHint } from './wake-bus';

const event = (id: number, note = ''): LogEvent => ({ id: String(id), type: 'ticket.created', ticketId: null, at: '2026-12-03T00:00:00.000Z', data: { note }, teamId: 't1', assigneeId: null });

describe('wake hints', () => {
  it('carry the highest committed id, and the events when they fit', () => {
    const events = [event(7), event(8)];
    expect(decodeHint(encodeHint(8n, events, 10_000))).toEqual({ upTo: 8n, events });
    expect(decodeHint(encodeHint(8n, [event(8, 'x'.repeat(20_000))], 10_000))).toEqual({ upTo: 8n });
    expect(decodeHint(encodeHint(8n, undefined, 10_000))).toEqual({ upTo: 8n });
  });

  it('a hint it cannot read is a hint without an id (the reader looks for itself), never events', () => {
    expect(decodeHint('1')).toEqual({ upTo: 1n });
    expect(decodeHint('')).toEqual({});
    expect(decodeHint('{not json')).toEqual({});
    expect(decodeHint(JSON.stringify({ upTo: 5 }))).toEqual({});
    expect(decodeHint(JSON.stringify({ upTo: '5', events: [{ id: 5 }] }))).toEqual({ upTo: 5n, events: undefined });
  });
});
