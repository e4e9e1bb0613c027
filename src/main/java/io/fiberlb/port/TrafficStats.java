package io.fiberlb.port;

import io.fiberlb.CborSerializable;

/** Live counters of one listener or backend, as {@code GetLoadBalancerStats} reports them. */
public record TrafficStats(String id, long activeConnections, long totalConnections, long bytesIn, long bytesOut,
    long rejectedConnections, long connectFailures, long requestErrors) implements CborSerializable {}
