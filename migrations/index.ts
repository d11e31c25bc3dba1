import { Foundation1796230126085 } from './1796230126085-foundation';
import { Sla1796230647019 } from './1796230647019-sla';
import { Retention1796230757224 } from './1796230757224-retention';
import { RetentionRollup1796270565943 } from './1796270565943-retention-rollup';
import { RetentionRollupCumulative1796272000000 } from './1796272000000-retention-rollup-cumulative';
import { SurveysWebhooks1796230927248 } from './1796230927248-surveys-webhooks';
import { TicketIdempotencyKey1796271219667 } from './1796271219667-ticket-idempotency-key';

/** Every migration in order. Add new ones at the end (npm run migration:generate -- <Name>). */
export const MIGRATIONS: Function[] = [
  Foundation1796230126085,
  Sla1796230647019,
  Retention1796230757224,
  SurveysWebhooks1796230927248,
  RetentionRollup1796270565943,
  TicketIdempotencyKey1796271219667,
  RetentionRollupCumulative1796272000000,
];
