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
-- Not the journal's: the data plane's traffic counters of each listener and backend, saved every
-- fiberlb.dataplane.stats-flush-interval and when a load balancer stops on a node, and read back when it starts on one,
-- so that its counters (GetLoadBalancerStats, /metrics) run on across restarts and moves as Octavia's do. One row per
-- listener or backend, rewritten in place: nothing accumulates, and the journal holds no counters.
CREATE TABLE IF NOT EXISTS PUBLIC."traffic_totals" (
  "load_balancer_id" VARCHAR(64) NOT NULL,
  "kind" VARCHAR(16) NOT NULL,
  "id" VARCHAR(64) NOT NULL,
  "connections" BIGINT NOT NULL,
  "bytes_in" BIGINT NOT NULL,
  "bytes_out" BIGINT NOT NULL,
  "rejected" BIGINT NOT NULL,
  "connect_failures" BIGINT NOT NULL,
  "request_errors" BIGINT NOT NULL,
  "dropped_datagrams" BIGINT NOT NULL,
  "saved_at" BIGINT NOT NULL,
  PRIMARY KEY ("load_balancer_id", "kind", "id")
);
-- Not the journal's: what each load balancer's data plane last served (io.fiberlb.dataplane.ServedConfigs), so that
-- it serves again as soon as it starts on a node, before its entity has recovered from the journal (which stays the
-- truth and converges it). One row per load balancer, rewritten in place, deleted with it. No secrets: ids only.
CREATE TABLE IF NOT EXISTS PUBLIC."served_configs" (
  "load_balancer_id" VARCHAR(64) NOT NULL,
  "config" VARCHAR NOT NULL,
  "saved_at" BIGINT NOT NULL,
  PRIMARY KEY ("load_balancer_id")
);
-- Not the journal's: certificate material (CertificateService), one row per certificate, really deleted with it. The
-- chain is public; the private key is sealed with AES-256-GCM under the key-encryption key (fiberlb.certificates,
-- FIBERLB_KEK_FILE) and never written in the clear; kek_id names that key without revealing it. The journal's
-- certificate events carry only public facts (id, name, fingerprint, subject, SANs, validity).
CREATE TABLE IF NOT EXISTS PUBLIC."certificate_keys" (
  "certificate_id" VARCHAR(64) NOT NULL,
  "org_id" VARCHAR(255) NOT NULL,
  "project_id" VARCHAR(255) NOT NULL,
  "name" VARCHAR(255) NOT NULL,
  "fingerprint" VARCHAR(64) NOT NULL,
  "not_after" BIGINT NOT NULL,
  "chain_pem" VARCHAR(262144) NOT NULL,
  "private_key_sealed" VARBINARY(65536),
  "kek_id" VARCHAR(32) NOT NULL,
  "updated_at" BIGINT NOT NULL,
  PRIMARY KEY ("certificate_id")
);
