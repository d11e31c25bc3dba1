import { MigrationInterface, QueryRunner } from 'typeorm';

export class Sla1796230647019 implements MigrationInterface {
  name = 'Sla1796230647019';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "business_hours" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "timezone" text NOT NULL, "weekly" jsonb NOT NULL, "holidays" jsonb NOT NULL DEFAULT '[]', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_560a76077605005da835fe505a5" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TABLE "sla_policies" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "position" integer NOT NULL, "match" jsonb NOT NULL DEFAULT '{}', "first_response_minutes" double precision, "next_response_minutes" double precision, "resolution_minutes" double precision, "warn_at_percent" double precision NOT NULL DEFAULT '80', "business_hours_id" uuid, "escalation" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_41b6803cef982534243a67b6302" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_sla_policies_position" ON "sla_policies"  ("position") `);
    await queryRunner.query(`CREATE TABLE "sla_timers" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "ticket_id" uuid NOT NULL, "policy_id" uuid, "business_hours_id" uuid, "target" text NOT NULL, "state" text NOT NULL, "target_minutes" double precision NOT NULL, "warn_at_percent" double precision NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "due_at" TIMESTAMP WITH TIME ZONE, "warn_at" TIMESTAMP WITH TIME ZONE, "paused_at" TIMESTAMP WITH TIME ZONE, "remaining_minutes" double precision, "warned_at" TIMESTAMP WITH TIME ZONE, "breached_at" TIMESTAMP WITH TIME ZONE, "achieved_at" TIMESTAMP WITH TIME ZONE, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_680448db4d68654ca34f6b02a84" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_sla_timers_ticket" ON "sla_timers"  ("ticket_id", "started_at") `);
    // Partial indexes, declared with synchronize: false on SlaTimerEntity: the reconciler's scans of
    // what is due, the breach list and summary, and at most one running timer per ticket and target.
    await queryRunner.query(`CREATE INDEX "IDX_sla_timers_active_due" ON "sla_timers" ("due_at") WHERE state = 'active'`);
    await queryRunner.query(`CREATE INDEX "IDX_sla_timers_active_warn" ON "sla_timers" ("warn_at") WHERE state = 'active' AND warned_at IS NULL`);
    await queryRunner.query(`CREATE INDEX "IDX_sla_timers_breached" ON "sla_timers" ("breached_at" DESC, "id" DESC) WHERE state = 'breached'`);
    await queryRunner.query(`CREATE INDEX "IDX_sla_timers_achieved" ON "sla_timers" ("achieved_at") WHERE state = 'achieved'`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_sla_timers_live" ON "sla_timers" ("ticket_id", "target") WHERE state IN ('active', 'paused')`);
    await queryRunner.query(`ALTER TABLE "sla_policies" ADD CONSTRAINT "FK_0598f5fbaf6eb4da86d9e56e8de" FOREIGN KEY ("business_hours_id") REFERENCES "business_hours"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "sla_timers" ADD CONSTRAINT "FK_d97bf9964278571bb40ca4fd9c9" FOREIGN KEY ("policy_id") REFERENCES "sla_policies"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sla_timers" DROP CONSTRAINT "FK_d97bf9964278571bb40ca4fd9c9"`);
    await queryRunner.query(`ALTER TABLE "sla_policies" DROP CONSTRAINT "FK_0598f5fbaf6eb4da86d9e56e8de"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_sla_timers_live"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_sla_timers_achieved"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_sla_timers_breached"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_sla_timers_active_warn"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_sla_timers_active_due"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_sla_timers_ticket"`);
    await queryRunner.query(`DROP TABLE "sla_timers"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_sla_policies_position"`);
    await queryRunner.query(`DROP TABLE "sla_policies"`);
    await queryRunner.query(`DROP TABLE "business_hours"`);
  }
}
