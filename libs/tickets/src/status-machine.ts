import { TicketStatus } from './ticket-hooks';

/** SPEC "Tickets": the allowed moves. Anything else is a 409 naming both statuses. */
const MOVES: Record<TicketStatus, readonly TicketStatus[]> = {
  new: ['open', 'pending', 'on_hold', 'solved'],
  open: ['pending', 'on_hold', 'solved'],
  pending: ['open', 'on_hold', 'solved'],
  on_hold: ['open', 'pending', 'solved'],
  solved: ['open', 'closed'],
  closed: [],
};

export function canMove(from: TicketStatus, to: TicketStatus): boolean {
  return MOVES[from].includes(to);
}

/** Where a customer's reply takes a ticket: pending/solved reopen, closed needs a follow-up ticket. */
export function statusAfterCustomerReply(status: TicketStatus): TicketStatus | 'follow_up' {
  if (status === 'closed') return 'follow_up';
  if (status === 'pending' || status === 'solved') return 'open';
  return status;
}
