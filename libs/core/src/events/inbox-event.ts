/**
 * A committed event on its way to the live inbox (SPEC "Live inbox" envelope `{id, type, ticketId,
 * at, data}`). `id` is the ticket_events row id: durable and monotonically increasing.
 * `teamId`/`assigneeId` route the event to rooms; they are not sent to clients.
 */
export interface FeedEvent {
  id: string;
  type: string;
  ticketId: string | null;
  at: string;
  data: Record<string, unknown>;
  teamId: string | null;
  assigneeId: string | null;
}

export interface EventPublisher {
  publish(events: FeedEvent[]): Promise<void>;
}

/**
 * Where committed events go after their transaction. The inbox lib plugs the real, cross-instance
 * publisher in with use() at init; without it (CLI, unit tests) events stay in the durable log only.
 * Domain code calls publish() only after commit: the inbox sends these events to sockets straight
 * from publish() when no smaller id is still open, so an event published before its commit would
 * reach agents even if the transaction then rolled back.
 */
export class EventFeed implements EventPublisher {
  private impl: EventPublisher | null = null;

  use(impl: EventPublisher): void {
    this.impl = impl;
  }

  async publish(events: FeedEvent[]): Promise<void> {
    if (this.impl && events.length) await this.impl.publish(events);
  }
}
