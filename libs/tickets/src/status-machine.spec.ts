import { canMove, statusAfterCustomerReply } from './status-machine';
import { TICKET_STATUSES, TicketStatus } from './ticket-hooks';

describe('ticket status machine', () => {
  const allowed = new Set([
    'new>open', 'new>pending', 'new>on_hold', 'new>solved',
    'open>pending', 'open>on_hold', 'open>solved',
    'pending>open', 'pending>on_hold', 'pending>solved',
    'on_hold>open', 'on_hold>pending', 'on_hold>solved',
    'solved>open', 'solved>closed',
  ]);
  const pairs = TICKET_STATUSES.flatMap((a) => TICKET_STATUSES.map((b) => [a, b] as [TicketStatus, TicketStatus]));

  it.each(pairs)('%s -> %s follows SPEC', (from, to) => {
    expect(canMove(from, to)).toBe(allowed.has(`${from}>${to}`));
  });

  it('nothing leaves closed', () => {
    expect(TICKET_STATUSES.filter((s) => canMove('closed', s))).toEqual([]);
  });

  it('a customer reply reopens pending and solved, keeps others, and needs a follow-up when closed', () => {
    expect(statusAfterCustomerReply('pending')).toBe('open');
    expect(statusAfterCustomerReply('solved')).toBe('open');
    expect(statusAfterCustomerReply('on_hold')).toBe('on_hold');
    expect(statusAfterCustomerReply('new')).toBe('new');
    expect(statusAfterCustomerReply('closed')).toBe('follow_up');
  });
});
