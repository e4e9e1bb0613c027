package io.fiberlb.audit;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The audit service's settings ({@code fiberlb.audit} in application.conf).
 *
 * @param pageSize how many events one direct read of the journal fetches
 * @param settledAfter how old an event must be for a project stream to read it directly instead of through the read
 *     journal (longer than any journal write may take, and than the clock difference between nodes)
 */
public record AuditSettings(int pageSize, Duration settledAfter) {

  public static AuditSettings from(Config c) {
    int pageSize = c.getInt("page-size");
    if (pageSize < 1) throw new IllegalArgumentException("fiberlb.audit.page-size: must be 1 or more, got " + pageSize);
    return new AuditSettings(pageSize, c.getDuration("settled-after"));
  }
}
