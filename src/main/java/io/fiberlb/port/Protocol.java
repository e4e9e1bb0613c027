package io.fiberlb.port;

/** A listener's or pool's protocol, as the data plane serves it. */
public enum Protocol { TCP, UDP, HTTP, TERMINATED_HTTPS }
