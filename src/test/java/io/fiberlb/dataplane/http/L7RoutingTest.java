package io.fiberlb.dataplane.http;

import static io.fiberlb.dataplane.http.Clients.echoed;
import static io.fiberlb.dataplane.http.HttpDataPlane.backend;
import static io.fiberlb.dataplane.http.HttpDataPlane.freePort;
import static io.fiberlb.dataplane.http.HttpDataPlane.pool;
import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.port.DesiredL7Policy;
import io.fiberlb.port.DesiredL7Policy.Action;
import io.fiberlb.port.DesiredL7Rule;
import io.fiberlb.port.DesiredL7Rule.CompareType;
import io.fiberlb.port.DesiredL7Rule.Type;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.Protocol;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * L7 policies on a real HTTP listener: routing by host, path, header, cookie and file type to real backends, REJECT,
 * redirects with their codes, the default pool when nothing matches, and a new table applied to the next request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class L7RoutingTest {
  private HttpDataPlane dp;
  private final Map<String, HttpBackend> backends = new java.util.LinkedHashMap<>();
  private final int port = freePort();
  @TempDir
  Path tmp;

  static DesiredL7Rule rule(Type type, CompareType compare, String key, String value, boolean invert) {
    return new DesiredL7Rule("r-" + type + value, type, compare, key, value, invert);
  }

  static DesiredL7Policy toPool(String id, int position, String pool, DesiredL7Rule... rules) {
    return new DesiredL7Policy(id, Action.REDIRECT_TO_POOL, position, "", "", pool, 0, List.of(rules));
  }

  private DesiredLoadBalancer config(List<DesiredL7Policy> policies) {
    var listener = new DesiredListener("l7", Protocol.HTTP, port, "def", -1, 30_000, 2_000, 30_000, List.of(), true,
        Map.of(), policies, null, false);
    return HttpDataPlane.lb(List.of(listener),
        backends.keySet().stream().map(HttpDataPlane::pool).toList(),
        backends.entrySet().stream().map(e -> backend("b-" + e.getKey(), e.getKey(), e.getValue())).toList());
  }

  static List<DesiredL7Policy> policies() {
    return List.of(
        new DesiredL7Policy("reject", Action.REJECT, 1, "", "", "", 0,
            List.of(rule(Type.PATH, CompareType.STARTS_WITH, "", "/admin", false))),
        new DesiredL7Policy("moved", Action.REDIRECT_TO_URL, 2, "https://example.com/new", "", "", 301,
            List.of(rule(Type.PATH, CompareType.EQUAL_TO, "", "/old", false))),
        new DesiredL7Policy("prefix", Action.REDIRECT_PREFIX, 3, "", "https://new.example.com/", "", 308,
            List.of(rule(Type.HOST_NAME, CompareType.EQUAL_TO, "", "old.example.com", false))),
        new DesiredL7Policy("see-other", Action.REDIRECT_TO_URL, 4, "/elsewhere", "", "", 303,
            List.of(rule(Type.PATH, CompareType.ENDS_WITH, "", "/form", false))),
        toPool("api", 5, "api", rule(Type.HOST_NAME, CompareType.EQUAL_TO, "", "API.Example.com", false)),
        toPool("static", 6, "static", rule(Type.FILE_TYPE, CompareType.REGEX, "", "^(png|css)$", false)),
        toPool("tenant", 7, "tenant", rule(Type.HEADER, CompareType.EQUAL_TO, "X-Tenant", "blue", false),
            rule(Type.PATH, CompareType.STARTS_WITH, "", "/t", false)),
        toPool("beta", 8, "beta", rule(Type.COOKIE, CompareType.CONTAINS, "channel", "beta", false)),
        toPool("inverted", 9, "tenant", rule(Type.PATH, CompareType.CONTAINS, "", "/inv", false),
            rule(Type.HEADER, CompareType.EQUAL_TO, "X-Keep", "1", true)));
  }

  @BeforeAll
  void start() throws Exception {
    dp = new HttpDataPlane();
    for (String name : List.of("def", "api", "static", "tenant", "beta")) backends.put(name, new HttpBackend(name));
    dp.applyAndWaitBound(config(policies()));
  }

  @AfterAll
  void stop() {
    dp.close();
    backends.values().forEach(HttpBackend::close);
  }

  private String servedBy(String path, String... headers) throws Exception {
    HttpResponse<String> r = Clients.get(port, path, headers);
    assertThat(r.statusCode()).as(path).isEqualTo(200);
    return echoed(r.body(), "backend");
  }

  /** Polls (bounded) until {@code path} is served by {@code backend}: a new table reaches the listener. */
  private void awaitServedBy(String path, String backend) {
    io.fiberlb.it.Poll.until(path + " served by " + backend, java.time.Duration.ofSeconds(10), () -> {
      try {
        return servedBy(path);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, backend::equals);
  }

  /** Through curl, which lets a test set the Host header (the JDK client does not). */
  private Clients.Curl withHost(String host, String path) throws Exception {
    return Clients.curl(tmp, "-w", "%{http_code} %{redirect_url}", "-H", "Host: " + host,
        "http://127.0.0.1:" + port + path);
  }

  @Test
  void routesByHostNameCaseInsensitiveWithoutPort() throws Exception {
    Clients.Curl c = withHost("api.EXAMPLE.com:8080", "/x");
    assertThat(c.written()).startsWith("200");
    assertThat(echoed(c.body(), "backend")).isEqualTo("api");
    assertThat(echoed(withHost("other.example.com", "/x").body(), "backend")).isEqualTo("def");
  }

  @Test
  void routesByFileTypeHeaderAndCookie() throws Exception {
    assertThat(servedBy("/img/logo.png?v=2")).isEqualTo("static");
    assertThat(servedBy("/site.css")).isEqualTo("static");
    assertThat(servedBy("/site.js")).isEqualTo("def");
    assertThat(servedBy("/t/1", "X-Tenant", "blue")).isEqualTo("tenant");
    assertThat(servedBy("/u/1", "X-Tenant", "blue")).as("rules are AND-ed").isEqualTo("def");
    assertThat(servedBy("/t/1", "X-Tenant", "red")).isEqualTo("def");
    assertThat(servedBy("/c", "Cookie", "a=1; channel=beta-2")).isEqualTo("beta");
    assertThat(servedBy("/c", "Cookie", "channel=stable")).isEqualTo("def");
    assertThat(servedBy("/inv")).as("inverted rule: no X-Keep header").isEqualTo("tenant");
    assertThat(servedBy("/inv", "X-Keep", "1")).isEqualTo("def");
  }

  @Test
  void defaultPoolWhenNothingMatches() throws Exception {
    assertThat(servedBy("/anything")).isEqualTo("def");
  }

  @Test
  void rejectIs403() throws Exception {
    int before = backends.values().stream().mapToInt(b -> b.requests.get()).sum();
    HttpResponse<String> r = Clients.get(port, "/admin/users");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("403");
    assertThat(backends.values().stream().mapToInt(b -> b.requests.get()).sum()).as("no backend saw it")
        .isEqualTo(before);
  }

  @Test
  void redirectsCarryTheirCodeAndLocation() throws Exception {
    HttpResponse<String> moved = Clients.get(port, "/old");
    assertThat(moved.statusCode()).isEqualTo(301);
    assertThat(moved.headers().firstValue("Location")).hasValue("https://example.com/new");
    Clients.Curl prefix = withHost("old.example.com", "/a/b?c=d");
    assertThat(prefix.written()).isEqualTo("308 https://new.example.com/a/b?c=d");
    HttpResponse<String> seeOther = Clients.get(port, "/x/form");
    assertThat(seeOther.statusCode()).isEqualTo(303);
    assertThat(seeOther.headers().firstValue("Location")).hasValue("/elsewhere");
  }

  @Test
  void aNewTableAppliesToTheNextRequestOnTheSameConnection() throws Exception {
    assertThat(servedBy("/swap.png")).isEqualTo("static");
    dp.apply(config(List.of(toPool("api-only", 1, "api", rule(Type.PATH, CompareType.STARTS_WITH, "", "/swap", false)))));
    awaitServedBy("/swap.png", "api");
    assertThat(servedBy("/old-is-gone.png")).isEqualTo("def");
    dp.apply(config(policies()));
    awaitServedBy("/swap.png", "static");
  }
}
