package io.fiberlb.api;

import io.fiberlb.api.v1.AuditEvent;
import io.fiberlb.audit.AuditJson;
import java.nio.charset.StandardCharsets;

/**
 * The API's {@link AuditEvent} as one line of JSON ({@link AuditJson}, which knows no API types, has the layout):
 * for the export, the CLI's {@code audit events -f json} and the tests that hold the two to the same bytes.
 */
public final class AuditEventLines {
  private AuditEventLines() {}

  /** The line, without its newline. */
  public static void append(AuditEvent e, StringBuilder out) {
    var line = event(new AuditJson.Line(256 + e.getDetailsJson().length()), e);
    out.append(new String(line.bytes(), 0, line.length(), StandardCharsets.UTF_8));
  }

  /** Appends {@code e} to {@code line}; returns {@code line}. */
  public static AuditJson.Line event(AuditJson.Line line, AuditEvent e) {
    byte[] details = e.getDetailsJson().getBytes(StandardCharsets.UTF_8);
    line.event(e.getOffset(), e.getLoadBalancerId(), e.getSequenceNr(), e.getVersion(), e.getType(), e.hasTime(),
        e.getTime().getSeconds(), e.getTime().getNanos(), e.getActor(), e.getPeer(), e.getRequestId(), e.getCommand(),
        e.getReason(), e.getResourceKind(), e.getResourceId(), details, 0, details.length);
    return line;
  }
}
