import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The repurchase report's rollup (retention_rollup, per UTC day of anchor), the dirty-day marks
 * that keep it exact, and the bulk-linking queue. Hand-added after the generated statements:
 * - triggers on ticket_retention mark the UTC day of every inserted/deleted row, and of updated
 *   rows whose report-relevant columns changed (old and new day); a TRUNCATE empties the rollup.
 *   Statement-level with transition tables: one INSERT per statement whatever the row count
 *   (bulk loads, batched ticket creation).
 * - every day that has tickets is marked, so the first report on an existing install builds it.
 * - fillfactor 80 on ticket_retention: linking rewrites rows (next_order_at, not indexed), and free
 *   room in the page keeps those updates HOT (no index writes).
 * - IDX_orders_placed dropped: no query filters orders by placed_at alone (the model fit reads all
 *   orders up to a date, a sequential scan), and it was a fourth index to write per imported order.
 */

export class RetentionRollup1796270565943 implements MigrationInterface {
  name = 'RetentionRollup1796270565943';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_orders_placed"`);
    await queryRunner.query(`CREATE TABLE "retention_rollup" ("id" BIGSERIAL NOT NULL, "day" date NOT NULL, "dimension" text NOT NULL, "key" text, "tickets" integer NOT NULL, "lags" integer array NOT NULL, "lag_counts" integer array NOT NULL, CONSTRAINT "PK_92d3fb072b4539e4ca5c62cbb23" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_retention_rollup_day" ON "retention_rollup"  ("day") `);
    await queryRunner.query(`CREATE INDEX "IDX_retention_rollup_dimension_day" ON "retention_rollup"  ("dimension", "day") `);
    await queryRunner.query(`CREATE TABLE "retention_dirty_days" ("id" BIGSERIAL NOT NULL, "day" date NOT NULL, CONSTRAINT "PK_17fc55b474257b49b9c59911979" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TABLE "retention_link_queue" ("customer_id" uuid NOT NULL, "queued_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0de19aabbd163f7d4d02dd73f98" PRIMARY KEY ("customer_id"))`);
    await queryRunner.query(`ALTER TABLE "ticket_retention" SET (fillfactor = 80)`);
    await queryRunner.query(`CREATE FUNCTION retention_mark_dirty_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM retention_rollup;
    DELETE FROM retention_dirty_days;
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO retention_dirty_days (day) SELECT DISTINCT (anchor_at AT TIME ZONE 'UTC')::date FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO retention_dirty_days (day) SELECT DISTINCT (anchor_at AT TIME ZONE 'UTC')::date FROM old_rows;
  ELSE
    INSERT INTO retention_dirty_days (day)
    SELECT DISTINCT d.day
    FROM old_rows o JOIN new_rows n ON n.ticket_id = o.ticket_id
    CROSS JOIN LATERAL (VALUES ((o.anchor_at AT TIME ZONE 'UTC')::date), ((n.anchor_at AT TIME ZONE 'UTC')::date)) AS d(day)
    WHERE (o.anchor_at, o.next_order_at, o.agent_id, o.team_id, o.channel, o.priority, o.tags, o.first_response_minutes, o.csat_score, o.nps_class, o.sla_met)
          IS DISTINCT FROM
          (n.anchor_at, n.next_order_at, n.agent_id, n.team_id, n.channel, n.priority, n.tags, n.first_response_minutes, n.csat_score, n.nps_class, n.sla_met);
  END IF;
  RETURN NULL;
END $$`);
    await queryRunner.query(`CREATE TRIGGER retention_dirty_on_insert AFTER INSERT ON ticket_retention REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION retention_mark_dirty_days()`);
    await queryRunner.query(`CREATE TRIGGER retention_dirty_on_update AFTER UPDATE ON ticket_retention REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION retention_mark_dirty_days()`);
    await queryRunner.query(`CREATE TRIGGER retention_dirty_on_delete AFTER DELETE ON ticket_retention REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION retention_mark_dirty_days()`);
    await queryRunner.query(`CREATE TRIGGER retention_dirty_on_truncate AFTER TRUNCATE ON ticket_retention FOR EACH STATEMENT EXECUTE FUNCTION retention_mark_dirty_days()`);
    await queryRunner.query(`INSERT INTO retention_dirty_days (day) SELECT DISTINCT (anchor_at AT TIME ZONE 'UTC')::date FROM ticket_retention`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER retention_dirty_on_truncate ON ticket_retention`);
    await queryRunner.query(`DROP TRIGGER retention_dirty_on_delete ON ticket_retention`);
    await queryRunner.query(`DROP TRIGGER retention_dirty_on_update ON ticket_retention`);
    await queryRunner.query(`DROP TRIGGER retention_dirty_on_insert ON ticket_retention`);
    await queryRunner.query(`DROP FUNCTION retention_mark_dirty_days()`);
    await queryRunner.query(`ALTER TABLE "ticket_retention" RESET (fillfactor)`);
    await queryRunner.query(`DROP TABLE "retention_link_queue"`);
    await queryRunner.query(`DROP TABLE "retention_dirty_days"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_retention_rollup_dimension_day"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_retention_rollup_day"`);
    await queryRunner.query(`DROP TABLE "retention_rollup"`);
    await queryRunner.query(`CREATE INDEX "IDX_orders_placed" ON "orders" USING btree ("placed_at") `);
  }
}
