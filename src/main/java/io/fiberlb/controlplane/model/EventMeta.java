package io.fiberlb.controlplane.model;

import io.fiberlb.CborSerializable;
import java.time.Instant;

/**
 * Stamped on every event: when (UTC), who, from where, which request and which command caused it. Events the
 * system causes by itself have actor {@code system} and say why in {@code reason}.
 *
 * @param reason added after the first events were written: absent in those, read as empty
 */
public record EventMeta(Instant at, String actor, String peer, String requestId, String command, String reason)
    implements CborSerializable {

  public static final String SYSTEM = "system";

  public EventMeta {
    reason = reason == null ? "" : reason;
  }

  public static EventMeta of(Caller caller, String command) {
    return new EventMeta(Instant.now(), caller.principal(), caller.peer(), caller.requestId(), command, "");
  }

  /** The system acting on its own, in the course of a request ({@code requestId} may be empty). */
  public static EventMeta system(String requestId, String command, String reason) {
    return new EventMeta(Instant.now(), SYSTEM, "", requestId, command, reason);
  }
}
