package io.fiberlb.it;

import java.util.Map;

/** {@link DurabilityTest} with the journal, snapshots and remembered entities on PostgreSQL. */
class DurabilityPostgresTest extends DurabilityTest {
  @Override
  Map<String, Object> journal() {
    return Postgres.freshDatabase("durability");
  }
}
