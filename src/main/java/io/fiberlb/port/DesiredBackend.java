package io.fiberlb.port;

/**
 * A backend as the data plane serves it: one address:port of a pool.
 *
 * @param weight 0 drains it
 * @param monitorPort where it is probed when not 0; else {@code protocolPort}
 */
public record DesiredBackend(
    String id,
    String poolId,
    String address,
    int protocolPort,
    int weight,
    boolean adminStateUp,
    boolean backup,
    int monitorPort) {}
