import { Injectable } from '@nestjs/common';
import type { AfterCommit } from '@keepdesk/core';
import type { NewTicketEvent } from '@keepdesk/tickets';
import { WebhooksService } from '@keepdesk/webhooks';
import { EntityManager } from 'typeorm';

/**
 * Outbound notifications of `sla.warning` / `sla.breached`. Called inside the transaction that
 * fired the timer, so the delivery is owed exactly when the breach committed (and once: the
 * conditional UPDATE lets one transaction through). Override the provider to notify elsewhere.
 */
export abstract class SlaNotifications {
  abstract enqueue(tx: EntityManager, event: NewTicketEvent, afterCommit?: AfterCommit): Promise<void>;
}

/** Signed webhooks (libs/webhooks) to every endpoint subscribed to the event type. */
@Injectable()
export class WebhookSlaNotifications extends SlaNotifications {
  constructor(private readonly webhooks: WebhooksService) {
    super();
  }

  async enqueue(tx: EntityManager, event: NewTicketEvent, afterCommit?: AfterCommit): Promise<void> {
    const d = event.data ?? {};
    // A recomputed timer may warn again for its new target, so a warning's identity includes its instant.
    const eventId = event.type === 'sla.warning' ? `${event.type}.${String(d.timerId)}.${String(d.warnAt)}` : `${event.type}.${String(d.timerId)}`;
    await this.webhooks.emit(tx, event.type, { ticketId: event.ticketId, teamId: event.teamId, assigneeId: event.assigneeId, ...d }, { eventId, afterCommit });
  }
}
