export { RetentionModule, RetentionWorkerModule } from './retention.module';
export { RETENTION_ENTITIES } from './retention.entities';
export { OrdersService } from './orders/orders.service';
export { signOrderWebhook, TIMESTAMP_HEADER as ORDER_WEBHOOK_TIMESTAMP_HEADER, SIGNATURE_HEADER as ORDER_WEBHOOK_SIGNATURE_HEADER } from './orders/order-webhook.guard';
export { CustomerHealthService } from './health/customer-health.service';
export { RetentionReportService } from './reports/retention-report.service';
export { TicketRetentionRepository } from './linking/ticket-retention.repository';
