package io.fiberlb.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a node finds its cluster and what it may run, from {@code fiberlb.cluster} (docs/architecture.md, "Cluster"):
 * put over the loaded configuration before the actor system starts.
 *
 * <ul>
 *   <li>{@code discovery = none}: a cluster of one (the node joins itself).
 *   <li>{@code discovery = config}: Cluster Bootstrap probes the management endpoints in {@code contact-points}
 *       ({@code FIBERLB_CONTACT_POINTS=host:8558,...}, the same list on every node). A node joins whatever cluster
 *       any contact point belongs to; only when every one of them answers, none knows of a cluster, and there are
 *       at least {@code size} of them does the lowest-addressed node form a new one. A restarted node whose peers
 *       answer late therefore waits for them instead of forming a second cluster.
 *   <li>{@code discovery = kubernetes-api}: the same, with the contact points found as pods through the Kubernetes
 *       API ({@code pekko.discovery.kubernetes-api}: pods labelled {@code app=<service-name>}).
 * </ul>
 *
 * Roles: {@code dataplane} nodes own load balancers (and serve their VIPs); {@code controlplane} nodes serve the API
 * (every node does). By default a node has both, or only {@code controlplane} when its data plane is disabled.
 */
public final class ClusterFormation {
  public static final String DATAPLANE = "dataplane";
  public static final String CONTROLPLANE = "controlplane";
  private static final Set<String> ROLES = Set.of(DATAPLANE, CONTROLPLANE);

  private ClusterFormation() {}

  public static Config apply(Config config) {
    Config c = config.getConfig("fiberlb.cluster");
    if (c.hasPath("seed-nodes-env") && !c.getString("seed-nodes-env").isBlank()) {
      throw new IllegalArgumentException("FIBERLB_SEED_NODES is no longer read: a restarted first seed node could form"
          + " a second cluster. Set FIBERLB_CONTACT_POINTS to every node's management address (host:port, e.g."
          + " 10.0.0.1:8558,10.0.0.2:8558,10.0.0.3:8558) and FIBERLB_CLUSTER_SIZE to their number (docs/architecture.md,"
          + " \"Cluster\")");
    }
    Map<String, Object> over = new HashMap<>();
    over.put("pekko.cluster.roles", roles(config));
    String discovery = c.getString("discovery");
    List<String> contactPoints = split(c.getString("contact-points"));
    if (discovery.equals("auto")) discovery = contactPoints.isEmpty() ? "none" : "config";
    int size = c.getInt("size");
    if (size < 1) throw new IllegalArgumentException("fiberlb.cluster.size (FIBERLB_CLUSTER_SIZE): must be at least 1, got " + size);
    String bootstrap = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    switch (discovery) {
      case "none" -> {
        if (!contactPoints.isEmpty()) {
          throw new IllegalArgumentException("fiberlb.cluster.contact-points (FIBERLB_CONTACT_POINTS): set, but"
              + " fiberlb.cluster.discovery (FIBERLB_CLUSTER_DISCOVERY) is 'none'");
        }
      }
      case "config" -> {
        if (contactPoints.size() < size) {
          throw new IllegalArgumentException("fiberlb.cluster.contact-points (FIBERLB_CONTACT_POINTS): "
              + contactPoints.size() + " contact point(s) for a cluster of FIBERLB_CLUSTER_SIZE=" + size
              + "; list every node's management host:port");
        }
        List<Map<String, Object>> endpoints = new ArrayList<>();
        for (String cp : contactPoints) endpoints.add(endpoint(cp));
        over.put("pekko.discovery.config.services." + c.getString("service-name") + ".endpoints", endpoints);
        over.put(bootstrap + "discovery-method", "config");
        // Each contact point names its own port (several nodes may share a host): keep them all, rather than only
        // those on this node's management port (Bootstrap's default, made for one port per pod).
        over.put("pekko.management.cluster.bootstrap.contact-point.filter-on-fallback-port", false);
      }
      case "kubernetes-api" -> over.put(bootstrap + "discovery-method", "kubernetes-api");
      default -> throw new IllegalArgumentException("fiberlb.cluster.discovery (FIBERLB_CLUSTER_DISCOVERY): must be"
          + " none, config or kubernetes-api, got '" + discovery + "'");
    }
    over.put("fiberlb.cluster.discovery", discovery);
    if (!discovery.equals("none")) {
      over.put(bootstrap + "service-name", c.getString("service-name"));
      over.put(bootstrap + "required-contact-point-nr", size);
      over.put("fiberlb.management.enabled", true); // the contact points are the management endpoints
    }
    return ConfigFactory.parseMap(over).withFallback(config);
  }

  /** Whether the node finds its peers through Cluster Bootstrap (else it joins itself or pekko.cluster.seed-nodes). */
  public static boolean bootstraps(Config applied) {
    return !applied.getString("fiberlb.cluster.discovery").equals("none");
  }

  static List<String> roles(Config config) {
    List<String> roles = split(config.getString("fiberlb.cluster.roles"));
    if (roles.isEmpty()) {
      return config.getBoolean("fiberlb.dataplane.enabled") ? List.of(DATAPLANE, CONTROLPLANE) : List.of(CONTROLPLANE);
    }
    for (String r : roles) {
      if (!ROLES.contains(r)) {
        throw new IllegalArgumentException("fiberlb.cluster.roles (FIBERLB_CLUSTER_ROLES): each role must be dataplane"
            + " or controlplane, got '" + r + "'");
      }
    }
    return List.copyOf(new LinkedHashSet<>(roles));
  }

  private static Map<String, Object> endpoint(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    String host = colon > 0 ? hostPort.substring(0, colon) : "";
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    int port = -1;
    try {
      port = colon > 0 ? Integer.parseInt(hostPort.substring(colon + 1)) : -1;
    } catch (NumberFormatException e) {
      // reported below
    }
    if (host.isEmpty() || port < 1 || port > 65535) {
      throw new IllegalArgumentException("fiberlb.cluster.contact-points (FIBERLB_CONTACT_POINTS): each contact point"
          + " must be host:port (a node's management address, e.g. 10.0.0.1:8558), got '" + hostPort + "'");
    }
    return Map.of("host", host, "port", port);
  }

  private static List<String> split(String list) {
    return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }
}
