import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * retention_rollup keeps cumulative counts per lag (retained_upto) instead of counts per lag, so the
 * report finds a window's figure by binary search (width_bucket) rather than by summing the
 * histogram. Rows are rebuilt from ticket_retention: every day with tickets is marked dirty.
 */
export class RetentionRollupCumulative1796272000000 implements MigrationInterface {
  name = 'RetentionRollupCumulative1796272000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "retention_rollup"`);
    await queryRunner.query(`ALTER TABLE "retention_rollup" RENAME COLUMN "lag_counts" TO "retained_upto"`);
    await queryRunner.query(`INSERT INTO retention_dirty_days (day) SELECT DISTINCT (anchor_at AT TIME ZONE 'UTC')::date FROM ticket_retention`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "retention_rollup"`);
    await queryRunner.query(`ALTER TABLE "retention_rollup" RENAME COLUMN "retained_upto" TO "lag_counts"`);
    await queryRunner.query(`INSERT INTO retention_dirty_days (day) SELECT DISTINCT (anchor_at AT TIME ZONE 'UTC')::date FROM ticket_retention`);
  }
}
