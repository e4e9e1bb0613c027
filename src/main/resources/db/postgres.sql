-- FiberLB's own schema for pekko-persistence-jdbc 1.1 on PostgreSQL. Run at every start; idempotent.
CREATE TABLE IF NOT EXISTS event_journal (
  ordering BIGSERIAL,
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  deleted BOOLEAN DEFAULT FALSE NOT NULL,
  writer VARCHAR(255) NOT NULL,
  write_timestamp BIGINT,
  adapter_manifest VARCHAR(255),
  event_ser_id INTEGER NOT NULL,
  event_ser_manifest VARCHAR(255) NOT NULL,
  event_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY (persistence_id, sequence_number)
);
CREATE UNIQUE INDEX IF NOT EXISTS event_journal_ordering_idx ON event_journal (ordering);
CREATE TABLE IF NOT EXISTS event_tag (
  event_id BIGINT,
  tag VARCHAR(256),
  PRIMARY KEY (event_id, tag),
  CONSTRAINT fk_event_journal FOREIGN KEY (event_id) REFERENCES event_journal (ordering) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS event_tag_tag_idx ON event_tag (tag, event_id);
CREATE TABLE IF NOT EXISTS snapshot (
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  created BIGINT NOT NULL,
  snapshot_ser_id INTEGER NOT NULL,
  snapshot_ser_manifest VARCHAR(255) NOT NULL,
  snapshot_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY (persistence_id, sequence_number)
);
-- Not the journal's: the data plane's traffic counters (see db/h2.sql).
CREATE TABLE IF NOT EXISTS traffic_totals (
  load_balancer_id VARCHAR(64) NOT NULL,
  kind VARCHAR(16) NOT NULL,
  id VARCHAR(64) NOT NULL,
  connections BIGINT NOT NULL,
  bytes_in BIGINT NOT NULL,
  bytes_out BIGINT NOT NULL,
  rejected BIGINT NOT NULL,
  connect_failures BIGINT NOT NULL,
  request_errors BIGINT NOT NULL,
  dropped_datagrams BIGINT NOT NULL,
  saved_at BIGINT NOT NULL,
  PRIMARY KEY (load_balancer_id, kind, id)
);
-- Not the journal's: what each load balancer's data plane last served (see db/h2.sql).
CREATE TABLE IF NOT EXISTS served_configs (
  load_balancer_id VARCHAR(64) NOT NULL,
  config TEXT NOT NULL,
  saved_at BIGINT NOT NULL,
  PRIMARY KEY (load_balancer_id)
);
-- Not the journal's: certificate material (CertificateService), one row per certificate, really deleted with it. The
-- chain is public; the private key is sealed with AES-256-GCM under the key-encryption key (fiberlb.certificates,
-- FIBERLB_KEK_FILE) and never written in the clear; kek_id names that key without revealing it.
CREATE TABLE IF NOT EXISTS certificate_keys (
  certificate_id VARCHAR(64) NOT NULL,
  org_id VARCHAR(255) NOT NULL,
  project_id VARCHAR(255) NOT NULL,
  name VARCHAR(255) NOT NULL,
  fingerprint VARCHAR(64) NOT NULL,
  not_after BIGINT NOT NULL,
  chain_pem TEXT NOT NULL,
  private_key_sealed BYTEA,
  kek_id VARCHAR(32) NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (certificate_id)
);
