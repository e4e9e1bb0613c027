package io.fiberlb.controlplane.model;

import io.fiberlb.CborSerializable;
import java.time.Instant;

/** Stamped on every event: when (UTC), who, from where, which request and which command caused it. */
public record EventMeta(Instant at, String actor, String peer, String requestId, String command)
    implements CborSerializable {

  public static EventMeta of(Caller caller, String command) {
    return new EventMeta(Instant.now(), caller.principal(), caller.peer(), caller.requestId(), command);
  }
}
