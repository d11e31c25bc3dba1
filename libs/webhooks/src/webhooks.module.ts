import { Module } from '@nestjs/common';
import { WebhookDeliverProcessor, WebhookSweeper } from './webhook-deliver.processor';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/** WebhooksService.emit for other domains (import this one from a domain module). */
@Module({
  providers: [WebhooksRepository, WebhooksService],
  exports: [WebhooksService, WebhooksRepository],
})
export class WebhooksCoreModule {}

/** API side: the admin routes. */
@Module({ imports: [WebhooksCoreModule], controllers: [WebhooksController], exports: [WebhooksCoreModule] })
export class WebhooksModule {}

/** Worker side: delivers, and re-queues deliveries whose job was lost. */
@Module({ imports: [WebhooksCoreModule], providers: [WebhookDeliverProcessor, WebhookSweeper], exports: [WebhooksCoreModule] })
export class WebhooksWorkerModule {}
