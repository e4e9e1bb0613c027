package io.fiberlb.controlplane.model;

import io.fiberlb.CborSerializable;
import java.time.Instant;
import java.util.List;

/**
 * The load balancer's own fields (its children are kept beside it in the entity state).
 *
 * @param vipPool the VIP range that allocated {@code vipAddress}, so the address goes back to the range that
 *     gave it even after the configured range changes
 */
public record LoadBalancerInfo(
    String id,
    String orgId,
    String projectId,
    String name,
    String description,
    String vipAddress,
    String vipPool,
    boolean adminStateUp,
    List<String> tags,
    Instant createdAt,
    Instant updatedAt)
    implements CborSerializable {}
