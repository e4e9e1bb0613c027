package io.fiberlb.port;

/** Whether a pool keeps a client on the backend it had: not at all, or by the client's address. */
public enum SessionPersistenceType { NONE, SOURCE_IP }
