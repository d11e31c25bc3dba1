import { Injectable } from '@nestjs/common';
import type { NewTicketEvent } from '@keepdesk/tickets';
import { EntityManager } from 'typeorm';

/**
 * SEAM for outbound notifications of `sla.warning` / `sla.breached` (webhooks, mail…). Called inside
 * the transaction that fired the timer, so an outbox row commits or rolls back with the breach and is
 * sent once. The SLA modules provide the no-op below; a module that delivers notifications overrides
 * the provider (`{ provide: SlaNotifications, useExisting: … }`).
 */
export abstract class SlaNotifications {
  abstract enqueue(tx: EntityManager, event: NewTicketEvent): Promise<void>;
}

@Injectable()
export class NoOutboundSlaNotifications extends SlaNotifications {
  async enqueue(): Promise<void> {}
}
