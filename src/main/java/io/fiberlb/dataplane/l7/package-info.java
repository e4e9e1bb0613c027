/**
 * Layer-7 decisions of an HTTP listener, pure (no Netty, no actors, no I/O): the {@link
 * io.fiberlb.dataplane.l7.RoutingTable} compiled from a listener's L7 policies, what it decides for one request
 * ({@link io.fiberlb.dataplane.l7.Route}), and cookie session persistence ({@link
 * io.fiberlb.dataplane.l7.CookiePersistence}). The HTTP engine asks them on its event loops; everything here is
 * immutable or lock-free.
 */
package io.fiberlb.dataplane.l7;
