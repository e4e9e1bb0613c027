package io.fiberlb.api.security;

import java.util.Set;

/**
 * What a gRPC method needs, from its path ({@code /package.Service/Method}). Reads are named: Get, List and the
 * audit's Stream, Diff and Export; every other method of our services writes, so a new method is a write until it
 * is listed here.
 */
enum Access {
  /** grpc.health.v1: Kubernetes probes ask without credentials. */
  OPEN,
  /** Server reflection: any verified principal (it describes the API, never a tenant's data). */
  AUTHENTICATED,
  READ,
  WRITE,
  /** The cluster's own views and operations (ClusterService) and changes of quotas: the admin role only. */
  ADMIN;

  private static final String[] READ_PREFIXES = {"Get", "List", "Stream", "Diff", "Export"};

  private static final Set<String> HEALTH = Set.of("/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch");
  /** Octavia's quotas are the operator's: a project reads its own (GetQuota is READ) but only an admin sets them. */
  private static final Set<String> ADMIN_WRITES = Set.of("/fiberlb.v1.QuotaService/SetQuota",
      "/fiberlb.v1.QuotaService/ResetQuota");
  private static final Set<String> REFLECTION = Set.of(
      "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");

  /** Exact paths for the exceptions, so that no odd path ({@code /grpc.health.v1.Health/../...}) slips through. */
  static Access of(String path) {
    if (HEALTH.contains(path)) return OPEN;
    if (REFLECTION.contains(path)) return AUTHENTICATED;
    if (path.startsWith("/fiberlb.v1.ClusterService/") || ADMIN_WRITES.contains(path)) return ADMIN;
    int slash = path.lastIndexOf('/');
    String method = slash < 0 ? path : path.substring(slash + 1);
    for (String p : READ_PREFIXES) {
      if (method.startsWith(p)) return READ;
    }
    return WRITE;
  }
}
