import { Module } from '@nestjs/common';
import { WebhookDeliverProcessor, WebhookSweeper } from './webhook-deliver.processor';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/** API side: the admin routes and WebhooksService.emit for other domains. */
@Module({
  controllers: [WebhooksController],
  providers: [WebhooksRepository, WebhooksService],
  exports: [WebhooksService],
})
export class WebhooksModule {}

/** Worker side: delivers, and re-queues deliveries whose job was lost. Also exports emit(). */
@Module({
  providers: [WebhooksRepository, WebhooksService, WebhookDeliverProcessor, WebhookSweeper],
  exports: [WebhooksService],
})
export class WebhooksWorkerModule {}
