-- FiberLB's own schema for pekko-persistence-jdbc 1.1 on H2 (file mode, DATABASE_TO_UPPER=false).
-- Run at every start; every statement is idempotent.
-- Payloads are VARBINARY (up to 1,000,000,000 bytes), kept in the row: H2 stores a BLOB apart from its row and
-- copies it into a temporary LOB whenever it is read, which made reading history 9x slower (docs/benchmarks.md).
-- Files created before keep their BLOB columns (CREATE TABLE IF NOT EXISTS leaves them alone) and work as before.
CREATE TABLE IF NOT EXISTS PUBLIC."event_journal" (
  "ordering" BIGINT UNIQUE NOT NULL AUTO_INCREMENT,
  "deleted" BOOLEAN DEFAULT false NOT NULL,
  "persistence_id" VARCHAR(255) NOT NULL,
  "sequence_number" BIGINT NOT NULL,
  "writer" VARCHAR NOT NULL,
  "write_timestamp" BIGINT NOT NULL,
  "adapter_manifest" VARCHAR NOT NULL,
  "event_payload" VARBINARY NOT NULL,
  "event_ser_id" INTEGER NOT NULL,
  "event_ser_manifest" VARCHAR NOT NULL,
  "meta_payload" VARBINARY,
  "meta_ser_id" INTEGER,
  "meta_ser_manifest" VARCHAR,
  PRIMARY KEY ("persistence_id", "sequence_number")
);
CREATE UNIQUE INDEX IF NOT EXISTS "event_journal_ordering_idx" ON PUBLIC."event_journal" ("ordering");
CREATE TABLE IF NOT EXISTS PUBLIC."event_tag" (
  "event_id" BIGINT NOT NULL,
  "tag" VARCHAR NOT NULL,
  PRIMARY KEY ("event_id", "tag"),
  CONSTRAINT "fk_event_journal" FOREIGN KEY ("event_id") REFERENCES PUBLIC."event_journal" ("ordering") ON DELETE CASCADE
);
-- Not in the plugin's schema: eventsByTag filters on tag and walks event_id, so a project's history is an index range.
CREATE INDEX IF NOT EXISTS "event_tag_tag_idx" ON PUBLIC."event_tag" ("tag", "event_id");
CREATE TABLE IF NOT EXISTS PUBLIC."snapshot" (
  "persistence_id" VARCHAR(255) NOT NULL,
  "sequence_number" BIGINT NOT NULL,
  "created" BIGINT NOT NULL,
  "snapshot_ser_id" INTEGER NOT NULL,
  "snapshot_ser_manifest" VARCHAR NOT NULL,
  "snapshot_payload" VARBINARY NOT NULL,
  "meta_ser_id" INTEGER,
  "meta_ser_manifest" VARCHAR,
  "meta_payload" VARBINARY,
  PRIMARY KEY ("persistence_id", "sequence_number")
);
