import { MigrationInterface, QueryRunner } from 'typeorm';

export class TicketIdempotencyKey1796271219667 implements MigrationInterface {
  name = 'TicketIdempotencyKey1796271219667';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tickets" ADD "idempotency_key" text`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_tickets_idempotency_key" ON "tickets"  ("idempotency_key") WHERE idempotency_key IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."UQ_tickets_idempotency_key"`);
    await queryRunner.query(`ALTER TABLE "tickets" DROP COLUMN "idempotency_key"`);
  }
}
