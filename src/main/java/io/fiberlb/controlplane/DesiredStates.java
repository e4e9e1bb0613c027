package io.fiberlb.controlplane;

import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.model.Backend;
import io.fiberlb.controlplane.model.Child;
import io.fiberlb.controlplane.model.Enums;
import io.fiberlb.controlplane.model.HealthCheck;
import io.fiberlb.controlplane.model.L7Policy;
import io.fiberlb.controlplane.model.L7Rule;
import io.fiberlb.port.DesiredL7Policy;
import io.fiberlb.port.DesiredL7Rule;
import io.fiberlb.port.DesiredTls;
import java.util.Comparator;
import io.fiberlb.controlplane.model.Listener;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.Pool;
import io.fiberlb.port.DesiredBackend;
import io.fiberlb.port.DesiredHealthCheck;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.DesiredPool;
import io.fiberlb.port.HealthCheckType;
import io.fiberlb.port.LbAlgorithm;
import io.fiberlb.port.Protocol;
import io.fiberlb.port.RuntimeCommand;
import io.fiberlb.port.SessionPersistenceType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The entity's state as the data plane should run it ({@link DesiredLoadBalancer}). Only configuration goes over:
 * names, descriptions, tags and versions stay behind, so an edit of those gives an equal value and reconfigures
 * nothing. The domain enums map to the port's by name; each mapping is a switch, so a new constant on either side
 * does not compile until it is mapped.
 */
public final class DesiredStates {
  private DesiredStates() {}

  public static DesiredLoadBalancer of(Active state) {
    var listeners = new ArrayList<DesiredListener>();
    var pools = new ArrayList<DesiredPool>();
    var backends = new ArrayList<DesiredBackend>();
    var checks = new HashMap<String, DesiredHealthCheck>();
    Map<String, List<DesiredL7Policy>> policies = policies(state);
    for (Child c : state.children().values()) {
      if (c instanceof Listener l) listeners.add(listener(l, policies.getOrDefault(l.id(), List.of())));
      else if (c instanceof Pool p) pools.add(pool(p));
      else if (c instanceof Backend b) backends.add(backend(b));
      else if (c instanceof HealthCheck h) checks.put(h.id(), healthCheck(h));
    }
    var health = new HashMap<String, Boolean>();
    state.health().forEach((backendId, h) -> health.put(backendId, h.up()));
    LoadBalancerInfo info = state.info();
    return new DesiredLoadBalancer(info.id(), info.orgId(), info.projectId(), info.vipAddress(), info.adminStateUp(),
        listeners, pools, backends, checks, health);
  }

  /** The names of the load balancer and its listeners, for the data plane's info metrics. */
  public static RuntimeCommand.Names names(Active state) {
    var listeners = new HashMap<String, String>();
    for (Child c : state.children().values()) {
      if (c instanceof Listener l) listeners.put(l.id(), l.name());
    }
    return new RuntimeCommand.Names(state.info().name(), listeners);
  }

  /**
   * The enabled L7 policies of each listener in position order, each with its enabled rules (in creation order).
   * Disabled ones stay behind: the data plane only ever sees what applies.
   */
  static Map<String, List<DesiredL7Policy>> policies(Active state) {
    var rules = new HashMap<String, List<DesiredL7Rule>>();
    var enabled = new ArrayList<L7Policy>();
    for (Child c : state.children().values()) {
      if (c instanceof L7Rule r && r.adminStateUp()) rules.computeIfAbsent(r.policyId(), k -> new ArrayList<>()).add(rule(r));
      else if (c instanceof L7Policy p && p.adminStateUp()) enabled.add(p);
    }
    enabled.sort(Comparator.comparingInt(L7Policy::position));
    var out = new HashMap<String, List<DesiredL7Policy>>();
    for (L7Policy p : enabled) {
      out.computeIfAbsent(p.listenerId(), k -> new ArrayList<>()).add(new DesiredL7Policy(p.id(), action(p.action()),
          p.position(), p.redirectUrl(), p.redirectPrefix(), p.redirectPoolId(), p.redirectHttpCode(),
          rules.getOrDefault(p.id(), List.of())));
    }
    return out;
  }

  static DesiredL7Rule rule(L7Rule r) {
    return new DesiredL7Rule(r.id(), DesiredL7Rule.Type.valueOf(r.type().name()),
        DesiredL7Rule.CompareType.valueOf(r.compareType().name()), r.key(), r.value(), r.invert());
  }

  static DesiredL7Policy.Action action(Enums.L7Action a) {
    return switch (a) {
      case REJECT -> DesiredL7Policy.Action.REJECT;
      case REDIRECT_TO_URL -> DesiredL7Policy.Action.REDIRECT_TO_URL;
      case REDIRECT_PREFIX -> DesiredL7Policy.Action.REDIRECT_PREFIX;
      case REDIRECT_TO_POOL -> DesiredL7Policy.Action.REDIRECT_TO_POOL;
    };
  }

  static DesiredListener listener(Listener l) {
    return listener(l, List.of());
  }

  /**
   * Insert headers go over as the names set to "true"; TLS only for TERMINATED_HTTPS, its cipher string split into
   * the list the port takes.
   */
  static DesiredListener listener(Listener l, List<DesiredL7Policy> policies) {
    var headers = new java.util.TreeMap<String, String>();
    l.insertHeaders().forEach((name, on) -> {
      if (on.equals("true")) headers.put(name, "true");
    });
    DesiredTls tls = l.protocol() != Enums.Protocol.TERMINATED_HTTPS ? null : new DesiredTls(
        l.defaultTlsContainerRef(), l.sniContainerRefs(), l.tlsVersions(),
        l.tlsCiphers().isEmpty() ? List.of() : List.of(l.tlsCiphers().split(":")), l.alpnProtocols(),
        l.clientCaTlsContainerRef(), DesiredTls.ClientAuthentication.valueOf(l.clientAuthentication().name()));
    return new DesiredListener(l.id(), protocol(l.protocol()), l.protocolPort(), l.defaultPoolId(),
        l.connectionLimit(), l.timeoutClientIdleMs(), l.timeoutBackendConnectMs(), l.timeoutBackendIdleMs(),
        List.copyOf(l.allowedCidrs()), l.adminStateUp(), headers, policies, tls, l.acceptProxyProtocol());
  }

  static DesiredPool pool(Pool p) {
    return new DesiredPool(p.id(), protocol(p.protocol()), algorithm(p.lbAlgorithm()),
        persistence(p.sessionPersistence()), p.sessionPersistenceTimeoutMs(), p.healthCheckId(), p.adminStateUp(),
        p.cookieName());
  }

  static DesiredBackend backend(Backend b) {
    return new DesiredBackend(b.id(), b.poolId(), b.address(), b.protocolPort(), b.weight(), b.adminStateUp(),
        b.backup(), b.monitorPort());
  }

  static DesiredHealthCheck healthCheck(HealthCheck h) {
    return new DesiredHealthCheck(h.id(), checkType(h.type()), h.intervalMs(), h.timeoutMs(), h.rise(), h.fall(),
        h.httpMethod(), h.urlPath(), h.expectedCodes(), h.adminStateUp(), h.domainName(), h.httpVersion());
  }

  static Protocol protocol(io.fiberlb.controlplane.model.Enums.Protocol p) {
    return switch (p) {
      case TCP -> Protocol.TCP;
      case UDP -> Protocol.UDP;
      case HTTP -> Protocol.HTTP;
      case TERMINATED_HTTPS -> Protocol.TERMINATED_HTTPS;
      case PROXY -> Protocol.PROXY;
      case PROXYV2 -> Protocol.PROXYV2;
    };
  }

  static LbAlgorithm algorithm(io.fiberlb.controlplane.model.Enums.LbAlgorithm a) {
    return switch (a) {
      case ROUND_ROBIN -> LbAlgorithm.ROUND_ROBIN;
      case WEIGHTED_ROUND_ROBIN -> LbAlgorithm.WEIGHTED_ROUND_ROBIN;
      case LEAST_CONNECTIONS -> LbAlgorithm.LEAST_CONNECTIONS;
      case SOURCE_IP -> LbAlgorithm.SOURCE_IP;
      case SOURCE_IP_PORT -> LbAlgorithm.SOURCE_IP_PORT;
      case MAGLEV -> LbAlgorithm.MAGLEV;
      case RANDOM_TWO_CHOICES -> LbAlgorithm.RANDOM_TWO_CHOICES;
    };
  }

  static SessionPersistenceType persistence(io.fiberlb.controlplane.model.Enums.SessionPersistenceType s) {
    return switch (s) {
      case NONE -> SessionPersistenceType.NONE;
      case SOURCE_IP -> SessionPersistenceType.SOURCE_IP;
      case HTTP_COOKIE -> SessionPersistenceType.HTTP_COOKIE;
      case APP_COOKIE -> SessionPersistenceType.APP_COOKIE;
    };
  }

  static HealthCheckType checkType(io.fiberlb.controlplane.model.Enums.HealthCheckType t) {
    return switch (t) {
      case TCP -> HealthCheckType.TCP;
      case HTTP -> HealthCheckType.HTTP;
      case UDP_CONNECT -> HealthCheckType.UDP_CONNECT;
      case HTTPS -> HealthCheckType.HTTPS;
      case TLS_HELLO -> HealthCheckType.TLS_HELLO;
    };
  }
}
