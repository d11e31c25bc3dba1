export { WebhooksCoreModule, WebhooksModule, WebhooksWorkerModule } from './webhooks.module';
export { WebhooksService, defaultEventId } from './webhooks.service';
export type { EmitOptions } from './webhooks.service';
export { signPayload, verifySignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './webhook-signature';
export { WEBHOOKS_ENTITIES } from './webhooks.entities';
