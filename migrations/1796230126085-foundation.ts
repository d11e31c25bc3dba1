import { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1796230126085 implements MigrationInterface {
  name = 'Foundation1796230126085';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "email" text NOT NULL, "name" text NOT NULL, "password_hash" text NOT NULL, "role" text NOT NULL, "capacity" integer NOT NULL DEFAULT '10', "available" boolean NOT NULL DEFAULT false, "active" boolean NOT NULL DEFAULT true, "last_assigned_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_users_email" ON "users"  ("email") `);
    await queryRunner.query(`CREATE TABLE "teams" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_7e5523774a38b08a6236d322403" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_teams_name" ON "teams"  ("name") `);
    await queryRunner.query(`CREATE TABLE "team_members" ("team_id" uuid NOT NULL, "user_id" uuid NOT NULL, CONSTRAINT "PK_1d3c06a8217a8785e2af0ec4ab8" PRIMARY KEY ("team_id", "user_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_team_members_user" ON "team_members"  ("user_id") `);
    await queryRunner.query(`CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "key_hash" text NOT NULL, "prefix" text NOT NULL, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_api_keys_hash" ON "api_keys"  ("key_hash") `);
    await queryRunner.query(`CREATE TABLE "customers" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "external_id" text, "email" text, "name" text, "phone" text, "locale" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_133ec679a801fab5e070f73d3ea" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_customers_external_id" ON "customers"  ("external_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_customers_email" ON "customers"  ("email") `);
    await queryRunner.query(`CREATE TABLE "tickets" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "number" BIGSERIAL NOT NULL, "subject" text NOT NULL, "status" text NOT NULL, "priority" text NOT NULL, "channel" text NOT NULL, "tags" text array NOT NULL DEFAULT '{}', "customer_id" uuid NOT NULL, "team_id" uuid, "assignee_id" uuid, "parent_ticket_id" uuid, "search" tsvector, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "first_response_at" TIMESTAMP WITH TIME ZONE, "solved_at" TIMESTAMP WITH TIME ZONE, "closed_at" TIMESTAMP WITH TIME ZONE, "status_changed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "reopen_count" integer NOT NULL DEFAULT '0', CONSTRAINT "PK_343bc942ae261cf7a1377f48fd0" PRIMARY KEY ("id"))`);
    // Full-text search on subject and first message; declared with synchronize: false on the entity.
    await queryRunner.query(`CREATE INDEX "IDX_tickets_search" ON "tickets" USING GIN ("search")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_tickets_number" ON "tickets"  ("number") `);
    await queryRunner.query(`CREATE INDEX "IDX_tickets_customer" ON "tickets"  ("customer_id", "created_at") `);
    await queryRunner.query(`CREATE INDEX "IDX_tickets_status_number" ON "tickets"  ("status", "number") `);
    await queryRunner.query(`CREATE INDEX "IDX_tickets_assignee_number" ON "tickets"  ("assignee_id", "number") `);
    await queryRunner.query(`CREATE INDEX "IDX_tickets_team_number" ON "tickets"  ("team_id", "number") `);
    await queryRunner.query(`CREATE TABLE "messages" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "ticket_id" uuid NOT NULL, "kind" text NOT NULL, "author_id" uuid, "body" text NOT NULL, "email_message_id" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_18325f38ae6de43878487eff986" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_messages_email_message_id" ON "messages"  ("email_message_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_messages_ticket" ON "messages"  ("ticket_id", "created_at") `);
    await queryRunner.query(`CREATE TABLE "ticket_events" ("id" BIGSERIAL NOT NULL, "ticket_id" uuid, "type" text NOT NULL, "actor_type" text NOT NULL, "actor_id" uuid, "data" jsonb NOT NULL DEFAULT '{}', "team_id" uuid, "assignee_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d61d07653b492eca67f9bad8ec2" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_ticket_events_ticket" ON "ticket_events"  ("ticket_id", "id") `);
    await queryRunner.query(`ALTER TABLE "team_members" ADD CONSTRAINT "FK_fdad7d5768277e60c40e01cdcea" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "team_members" ADD CONSTRAINT "FK_c2bf4967c8c2a6b845dadfbf3d4" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "tickets" ADD CONSTRAINT "FK_42e4343476d9c4a46fb565a5c46" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "messages" ADD CONSTRAINT "FK_aa8e62e23565f59d22160b35f18" FOREIGN KEY ("ticket_id") REFERENCES "tickets"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "FK_aa8e62e23565f59d22160b35f18"`);
    await queryRunner.query(`ALTER TABLE "tickets" DROP CONSTRAINT "FK_42e4343476d9c4a46fb565a5c46"`);
    await queryRunner.query(`ALTER TABLE "team_members" DROP CONSTRAINT "FK_c2bf4967c8c2a6b845dadfbf3d4"`);
    await queryRunner.query(`ALTER TABLE "team_members" DROP CONSTRAINT "FK_fdad7d5768277e60c40e01cdcea"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_ticket_events_ticket"`);
    await queryRunner.query(`DROP TABLE "ticket_events"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_messages_ticket"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_messages_email_message_id"`);
    await queryRunner.query(`DROP TABLE "messages"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_tickets_team_number"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_tickets_assignee_number"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_tickets_status_number"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_tickets_customer"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_tickets_number"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_tickets_search"`);
    await queryRunner.query(`DROP TABLE "tickets"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_customers_email"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_customers_external_id"`);
    await queryRunner.query(`DROP TABLE "customers"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_api_keys_hash"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_team_members_user"`);
    await queryRunner.query(`DROP TABLE "team_members"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_teams_name"`);
    await queryRunner.query(`DROP TABLE "teams"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_users_email"`);
    await queryRunner.query(`DROP TABLE "users"`);
  }
}
