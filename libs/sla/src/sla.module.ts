import { Module } from '@nestjs/common';
import { WebhooksCoreModule } from '@keepdesk/webhooks';
import { SlaPolicyRepository } from './policies/sla-policy.repository';
import { SlaReportsRepository } from './reports/sla-reports.repository';
import { SlaNotifications, WebhookSlaNotifications } from './sla-notifications';
import { BusinessHoursController, SlaPoliciesController, SlaReportsController } from './sla.controller';
import { SlaService } from './sla.service';
import { SlaEngine } from './timers/sla-engine.service';
import { SlaFireService } from './timers/sla-fire.service';
import { SlaFireProcessor, SlaReconcileProcessor, SlaWatchdog } from './timers/sla.processor';
import { SlaReconciler } from './timers/sla-reconciler.service';
import { SlaScheduler } from './timers/sla-scheduler.service';
import { SlaTicketHook, SlaTicketView } from './timers/sla-ticket.hook';
import { SlaTimerRepository } from './timers/sla-timer.repository';

/**
 * Both apps change tickets (the worker escalates on breach), so both register the hook. Outbound
 * notifications go through signed webhooks (SlaNotifications; override the provider to change that).
 */
const CORE = [
  SlaTimerRepository,
  SlaPolicyRepository,
  SlaEngine,
  SlaScheduler,
  SlaTicketHook,
  { provide: SlaNotifications, useClass: WebhookSlaNotifications },
];

/** API side: policies, business hours, reports, the ticket hook and the `sla` ticket field. */
@Module({
  imports: [WebhooksCoreModule],
  controllers: [SlaPoliciesController, BusinessHoursController, SlaReportsController],
  providers: [...CORE, SlaTicketView, SlaService, SlaReportsRepository],
})
export class SlaModule {}

/** Worker side: fires warnings and breaches, reconciles the queue with the database. */
@Module({
  imports: [WebhooksCoreModule],
  providers: [...CORE, SlaFireService, SlaReconciler, SlaFireProcessor, SlaReconcileProcessor, SlaWatchdog],
  exports: [SlaReconciler, SlaScheduler, SlaFireService],
})
export class SlaWorkerModule {}
