package io.fiberlb.port;

/**
 * Whether this node may serve its load balancers' VIPs: only while it is an Up member of a cluster in which it
 * reaches a majority of the configured number of nodes ({@code fiberlb.cluster.size}). Published by the cluster
 * watch, obeyed by every listener of the data plane. {@code reason} says why not, for the listener's status.
 */
public record ServingQuorum(boolean serving, String reason) {
  public static final ServingQuorum ALWAYS = new ServingQuorum(true, "");
}
