import { Module, OnModuleInit } from '@nestjs/common';
import { CustomersService } from '@keepdesk/tickets';
import { WebhooksWorkerModule } from '@keepdesk/webhooks';
import { ChurnController } from './churn/churn.controller';
import { ChurnRepository } from './churn/churn.repository';
import { ChurnRunProcessor } from './churn/churn-run.processor';
import { ChurnService } from './churn/churn.service';
import { CustomerHealthController } from './health/customer-health.controller';
import { CustomerHealthService } from './health/customer-health.service';
import { TicketRetentionHook } from './linking/ticket-retention.hook';
import { TicketRetentionRepository } from './linking/ticket-retention.repository';
import { ModelFitProcessor } from './model/model-fit.processor';
import { ModelFitService } from './model/model-fit.service';
import { ModelController } from './model/model.controller';
import { ModelRepository } from './model/model.repository';
import { ImportBodyParser } from './orders/import-body.parser';
import { OrderWebhookGuard } from './orders/order-webhook.guard';
import { OrdersController } from './orders/orders.controller';
import { OrdersRepository, orderView } from './orders/orders.repository';
import { OrdersService } from './orders/orders.service';
import { RetentionReportController } from './reports/retention-report.controller';
import { RetentionReportRepository } from './reports/retention-report.repository';
import { RetentionReportService } from './reports/retention-report.service';
import { RetentionRefreshService } from './reports/retention-refresh.service';
import { RetentionRollupRepository } from './reports/retention-rollup.repository';
import { ServiceSignalsRepository } from './reports/service-signals.repository';

/** Shared by both sides: the ticket hook (tickets change in the api and in the worker) and the services. */
const SHARED = [
  TicketRetentionRepository,
  TicketRetentionHook,
  OrdersRepository,
  OrdersService,
  RetentionReportRepository,
  RetentionReportService,
  RetentionRollupRepository,
  RetentionRefreshService,
  ServiceSignalsRepository,
  ModelRepository,
  ModelFitService,
  CustomerHealthService,
  ChurnRepository,
  ChurnService,
];

/** API side: orders in, reports, health, model and churn routes. Needs the tickets module (global). */
@Module({
  controllers: [OrdersController, RetentionReportController, ModelController, CustomerHealthController, ChurnController],
  providers: [...SHARED, ImportBodyParser, OrderWebhookGuard],
  exports: [OrdersService, CustomerHealthService, RetentionReportService],
})
export class RetentionModule implements OnModuleInit {
  constructor(
    private readonly customers: CustomersService,
    private readonly orders: OrdersRepository,
    private readonly health: CustomerHealthService,
  ) {}

  /** GET /api/customers/:id shows the customer's orders and health (SPEC "customers"). */
  onModuleInit(): void {
    this.customers.registerView({ field: 'orders', load: async (m, id) => (await this.orders.listByCustomer(m, id)).map(orderView) });
    this.customers.registerView({ field: 'health', load: (_m, id) => this.health.health(id) });
  }
}

/** Worker side: model fits and churn runs (with the daily schedule); webhooks for churn actions. */
@Module({
  imports: [WebhooksWorkerModule],
  providers: [...SHARED, ModelFitProcessor, ChurnRunProcessor],
})
export class RetentionWorkerModule {}
