import { MigrationInterface, QueryRunner } from 'typeorm';

export class Retention1796230757224 implements MigrationInterface {
  name = 'Retention1796230757224';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "orders" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "external_id" text NOT NULL, "customer_id" uuid NOT NULL, "placed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "total" numeric(14,2) NOT NULL, "currency" text NOT NULL, "items" jsonb, "source" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_710e2d4957aa5878dfe94e4ac2f" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_orders_external_id" ON "orders"  ("external_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_orders_placed" ON "orders"  ("placed_at") `);
    await queryRunner.query(`CREATE INDEX "IDX_orders_customer_placed" ON "orders"  ("customer_id", "placed_at") `);
    await queryRunner.query(`CREATE TABLE "ticket_retention" ("ticket_id" uuid NOT NULL, "customer_id" uuid NOT NULL, "anchor_at" TIMESTAMP WITH TIME ZONE NOT NULL, "solved" boolean NOT NULL DEFAULT false, "next_order_at" TIMESTAMP WITH TIME ZONE, "agent_id" uuid, "team_id" uuid, "channel" text NOT NULL, "priority" text NOT NULL, "tags" text array NOT NULL DEFAULT '{}', "first_response_minutes" double precision, "csat_score" smallint, "nps_class" text, "sla_met" boolean, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_1858fcc9090bc022a018f7e3f07" PRIMARY KEY ("ticket_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_ticket_retention_anchor" ON "ticket_retention"  ("anchor_at") `);
    await queryRunner.query(`CREATE INDEX "IDX_ticket_retention_customer_anchor" ON "ticket_retention"  ("customer_id", "anchor_at") `);
    await queryRunner.query(`CREATE TABLE "retention_models" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "status" text NOT NULL, "until" TIMESTAMP WITH TIME ZONE NOT NULL, "r" double precision, "alpha" double precision, "a" double precision, "b" double precision, "p" double precision, "q" double precision, "gamma" double precision, "log_likelihood" double precision, "customers" integer, "orders" integer, "error" text, "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "fitted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_2935e2a9dd8416aed761af74211" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_retention_models_requested" ON "retention_models"  ("requested_at") `);
    await queryRunner.query(`CREATE TABLE "churn_settings" ("id" smallint NOT NULL, "threshold" double precision NOT NULL, "cooldown_days" integer NOT NULL, "holdout_percent" integer NOT NULL, "action" text NOT NULL, "team_id" uuid, "enabled" boolean NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_churn_settings_singleton" CHECK (id = 1), CONSTRAINT "PK_4e85982bee20c86a3c714487d51" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TABLE "churn_runs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "key" text NOT NULL, "status" text NOT NULL, "scored" integer NOT NULL DEFAULT '0', "flagged" integer NOT NULL DEFAULT '0', "treated" integer NOT NULL DEFAULT '0', "holdout" integer NOT NULL DEFAULT '0', "error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_0ce63dde63b858bf9b7c2a80827" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_churn_runs_key" ON "churn_runs"  ("key") `);
    await queryRunner.query(`CREATE TABLE "churn_cooldowns" ("customer_id" uuid NOT NULL, "next_eligible_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_854d715b6c33ec0c8af6f34932a" PRIMARY KEY ("customer_id"))`);
    await queryRunner.query(`CREATE TABLE "churn_follow_ups" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "run_id" uuid NOT NULL, "customer_id" uuid NOT NULL, "group" text NOT NULL, "risk_score" double precision NOT NULL, "action" text NOT NULL, "ticket_id" uuid, "action_status" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ac64c3f47c3855488d97c23e8de" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_churn_follow_ups_run_customer" ON "churn_follow_ups"  ("run_id", "customer_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_churn_follow_ups_created" ON "churn_follow_ups"  ("created_at") `);
    await queryRunner.query(`CREATE TABLE "retention_state" ("key" text NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_c78aa8b22ab7176d05ab05d7743" PRIMARY KEY ("key"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "retention_state"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_churn_follow_ups_created"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_churn_follow_ups_run_customer"`);
    await queryRunner.query(`DROP TABLE "churn_follow_ups"`);
    await queryRunner.query(`DROP TABLE "churn_cooldowns"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_churn_runs_key"`);
    await queryRunner.query(`DROP TABLE "churn_runs"`);
    await queryRunner.query(`DROP TABLE "churn_settings"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_retention_models_requested"`);
    await queryRunner.query(`DROP TABLE "retention_models"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_ticket_retention_customer_anchor"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_ticket_retention_anchor"`);
    await queryRunner.query(`DROP TABLE "ticket_retention"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_orders_customer_placed"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_orders_placed"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_orders_external_id"`);
    await queryRunner.query(`DROP TABLE "orders"`);
  }
}
