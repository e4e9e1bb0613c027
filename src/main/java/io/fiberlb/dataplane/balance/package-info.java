/**
 * Backend selection for the data plane, pure: no actors, no I/O, no clocks except the one injected into
 * {@link io.fiberlb.dataplane.balance.AffinityTable}.
 *
 * <p>A listener holds one {@link io.fiberlb.dataplane.balance.PoolBalancer} per pool and, for each accepted
 * connection, calls {@code pick(ConnectionKey.of(remoteAddress))}: {@code null} means no endpoint is eligible (close
 * the connection and count it); otherwise call {@link io.fiberlb.dataplane.balance.Endpoint#connectionOpened()} once
 * connected and {@link io.fiberlb.dataplane.balance.Endpoint#connectionClosed()} when the connection ends. The health
 * checker calls {@code setHealthy(key, up)}; the control plane calls {@code update(endpoints)}. Each {@link io.fiberlb.dataplane.balance.Algorithm}
 * is a small immutable class behind {@link io.fiberlb.dataplane.balance.Balancer}, built by
 * {@link io.fiberlb.dataplane.balance.Balancers}.
 */
package io.fiberlb.dataplane.balance;
