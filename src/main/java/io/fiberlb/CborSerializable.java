package io.fiberlb;

/**
 * Marker for every message, event and snapshot that crosses a process or the journal. Bound to Jackson CBOR in
 * {@code application.conf}, so nothing of ours is ever Java-serialized.
 */
public interface CborSerializable {}
