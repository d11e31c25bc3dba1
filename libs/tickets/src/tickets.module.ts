import { Global, Module } from '@nestjs/common';
import { AssignmentService } from './assignment.service';
import { AutoCloseProcessor } from './auto-close.processor';
import { CustomersRepository } from './customers.repository';
import { CustomersService } from './customers.service';
import { TicketEventsService } from './ticket-events.service';
import { TicketHooks, TicketViews } from './ticket-hooks';
import { CustomersController, InboundController, TicketsController } from './tickets.controller';
import { TicketsRepository } from './tickets.repository';
import { TicketsService } from './tickets.service';

const SHARED = [TicketsService, TicketsRepository, CustomersRepository, CustomersService, TicketEventsService, TicketHooks, TicketViews, AssignmentService];

/**
 * Customers, tickets, messages, the event log and assignment. Global so that other domains can
 * register hooks and views and create tickets without import cycles.
 */
@Global()
@Module({ providers: SHARED, exports: SHARED })
export class TicketsCoreModule {}

@Module({ imports: [TicketsCoreModule], controllers: [TicketsController, InboundController, CustomersController] })
export class TicketsModule {}

@Module({ imports: [TicketsCoreModule], providers: [AutoCloseProcessor] })
export class TicketsWorkerModule {}
