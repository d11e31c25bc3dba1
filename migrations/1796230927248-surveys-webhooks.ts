import { MigrationInterface, QueryRunner } from 'typeorm';

export class SurveysWebhooks1796230927248 implements MigrationInterface {
  name = 'SurveysWebhooks1796230927248';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "survey_settings" ("scope" text NOT NULL, "team_id" uuid, "type" text NOT NULL, "delay_minutes" double precision NOT NULL, "expires_days" integer NOT NULL, "reminder_after_hours" double precision NOT NULL, "suppress_days" double precision NOT NULL, "channel" text NOT NULL, "enabled" boolean NOT NULL, "low_score_threshold" integer, "default_locale" text NOT NULL DEFAULT 'en', "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_7b4677f439ffba4bb1f2f836791" PRIMARY KEY ("scope"))`);
    await queryRunner.query(`CREATE TABLE "surveys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "ticket_id" uuid NOT NULL, "customer_id" uuid NOT NULL, "team_id" uuid, "type" text NOT NULL, "channel" text NOT NULL, "state" text NOT NULL, "state_reason" text, "schedule_version" integer NOT NULL DEFAULT '1', "scheduled_at" TIMESTAMP WITH TIME ZONE NOT NULL, "claim_id" uuid, "claimed_at" TIMESTAMP WITH TIME ZONE, "send_attempts" integer NOT NULL DEFAULT '0', "last_error" text, "sent_at" TIMESTAMP WITH TIME ZONE, "accepted_at" TIMESTAMP WITH TIME ZONE, "message_id" text, "agent_id" uuid, "locale" text, "expires_at" TIMESTAMP WITH TIME ZONE, "reminder_after_hours" double precision, "reminder_state" text, "reminder_claim_id" uuid, "reminder_claimed_at" TIMESTAMP WITH TIME ZONE, "reminder_sent_at" TIMESTAMP WITH TIME ZONE, "low_score_threshold" integer, "score" integer, "comment" text, "answered_at" TIMESTAMP WITH TIME ZONE, "low_score" boolean NOT NULL DEFAULT false, "follow_up_ticket_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_1b5e3d4aaeb2321ffa98498c971" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_surveys_ticket" ON "surveys"  ("ticket_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_surveys_state_due" ON "surveys"  ("state", "scheduled_at") `);
    await queryRunner.query(`CREATE INDEX "IDX_surveys_sent_at" ON "surveys"  ("sent_at") `);
    await queryRunner.query(`CREATE INDEX "IDX_surveys_customer_sent" ON "surveys"  ("customer_id", "sent_at") `);
    await queryRunner.query(`CREATE TABLE "webhooks" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "url" text NOT NULL, "events" text array NOT NULL, "secret" text NOT NULL, "active" boolean NOT NULL DEFAULT true, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_9e8795cfc899ab7bdaa831e8527" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TABLE "webhook_deliveries" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "webhook_id" uuid NOT NULL, "event_id" text NOT NULL, "event_type" text NOT NULL, "payload" jsonb NOT NULL, "status" text NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "last_status_code" integer, "last_error" text, "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "lease_until" TIMESTAMP WITH TIME ZONE, "delivered_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_535dd409947fb6d8fc6dfc0112a" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_webhook_deliveries_status_next" ON "webhook_deliveries"  ("status", "next_attempt_at") `);
    await queryRunner.query(`CREATE INDEX "IDX_webhook_deliveries_webhook_created" ON "webhook_deliveries"  ("webhook_id", "created_at") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_webhook_deliveries_webhook_event" ON "webhook_deliveries"  ("webhook_id", "event_id") `);
    await queryRunner.query(`ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "FK_a0286aeb96db651efd1ae2966f2" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "FK_a0286aeb96db651efd1ae2966f2"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_webhook_deliveries_webhook_event"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_webhook_deliveries_webhook_created"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_webhook_deliveries_status_next"`);
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP TABLE "webhooks"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_surveys_customer_sent"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_surveys_sent_at"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_surveys_state_due"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_surveys_ticket"`);
    await queryRunner.query(`DROP TABLE "surveys"`);
    await queryRunner.query(`DROP TABLE "survey_settings"`);
  }
}
