package io.fiberlb.dataplane.http;

import static io.fiberlb.dataplane.http.Clients.echoed;
import static io.fiberlb.dataplane.http.HttpDataPlane.backend;
import static io.fiberlb.dataplane.http.HttpDataPlane.freePort;
import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.port.DesiredBackend;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.DesiredPool;
import io.fiberlb.port.LbAlgorithm;
import io.fiberlb.port.Protocol;
import io.fiberlb.port.SessionPersistenceType;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Cookie session persistence on a real HTTP listener over three round-robin backends: HTTP_COOKIE (FiberLB's own
 * cookie sticks a client to a backend while it is up, and moves it when it is not) and APP_COOKIE (an application
 * cookie's value, learnt from the backend's Set-Cookie, keeps going to that backend).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CookiePersistenceTest {
  private HttpDataPlane dp;
  private final List<HttpBackend> backends = new ArrayList<>();
  private final int httpCookie = freePort();
  private final int appCookie = freePort();

  /** {@code disabled}: backends of the HTTP_COOKIE pool taken out. */
  private DesiredLoadBalancer config(Set<String> disabled) {
    var pools = List.of(
        new DesiredPool("ph", Protocol.HTTP, LbAlgorithm.ROUND_ROBIN, SessionPersistenceType.HTTP_COOKIE, 0, "", true),
        new DesiredPool("pa", Protocol.HTTP, LbAlgorithm.ROUND_ROBIN, SessionPersistenceType.APP_COOKIE, 60_000, "",
            true, "SESSION"));
    List<DesiredBackend> bs = new ArrayList<>();
    for (String pool : List.of("ph", "pa")) {
      for (HttpBackend b : backends) {
        DesiredBackend d = backend(pool + "-" + b.name, pool, b);
        bs.add(new DesiredBackend(d.id(), pool, d.address(), d.protocolPort(), 1, !(pool.equals("ph") && disabled.contains(b.name)), false, 0));
      }
    }
    return HttpDataPlane.lb(List.of(listener("lh", httpCookie, "ph"), listener("la", appCookie, "pa")), pools, bs);
  }

  static DesiredListener listener(String id, int port, String pool) {
    return new DesiredListener(id, Protocol.HTTP, port, pool, -1, 30_000, 2_000, 30_000, List.of(), true, Map.of(),
        List.of(), null, false);
  }

  @BeforeAll
  void start() throws Exception {
    dp = new HttpDataPlane();
    for (String n : List.of("one", "two", "three")) backends.add(new HttpBackend(n));
    dp.applyAndWaitBound(config(Set.of()));
  }

  @AfterAll
  void stop() {
    dp.close();
    backends.forEach(HttpBackend::close);
  }

  @Test
  void httpCookieSticksWhileItsBackendIsUp() throws Exception {
    Set<String> withoutCookie = new HashSet<>();
    for (int i = 0; i < 6; i++) withoutCookie.add(echoed(Clients.get(httpCookie, "/").body(), "backend"));
    assertThat(withoutCookie).as("round robin without a cookie").hasSize(3);

    HttpResponse<String> first = Clients.get(httpCookie, "/");
    String cookie = first.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(cookie).startsWith("FIBERLB_").contains("; Path=/").doesNotContain(echoed(first.body(), "backend"));
    String pair = cookie.substring(0, cookie.indexOf(';'));
    String stuck = echoed(first.body(), "backend");
    for (int i = 0; i < 9; i++) {
      HttpResponse<String> r = Clients.get(httpCookie, "/", "Cookie", pair);
      assertThat(echoed(r.body(), "backend")).isEqualTo(stuck);
      assertThat(r.headers().firstValue("Set-Cookie")).as("already set").isEmpty();
    }

    dp.apply(config(Set.of(stuck))); // its backend goes away: the session moves, with a new cookie
    HttpResponse<String> moved = io.fiberlb.it.Poll.until("the session moved", java.time.Duration.ofSeconds(10),
        () -> {
          try {
            return Clients.get(httpCookie, "/", "Cookie", pair);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }, r -> !stuck.equals(echoed(r.body(), "backend")));
    assertThat(moved.headers().firstValue("Set-Cookie").orElseThrow()).isNotEqualTo(cookie);
    dp.apply(config(Set.of()));
  }

  @Test
  void appCookieFollowsTheApplicationsSession() throws Exception {
    HttpResponse<String> login = Clients.get(appCookie, "/login?session=abc123");
    assertThat(login.headers().firstValue("Set-Cookie")).hasValueSatisfying(v -> assertThat(v).startsWith("SESSION=abc123"));
    String owner = echoed(login.body(), "backend");
    for (int i = 0; i < 9; i++) {
      assertThat(echoed(Clients.get(appCookie, "/", "Cookie", "SESSION=abc123").body(), "backend")).isEqualTo(owner);
    }
    // A value no backend set is placed once, then stays where it was placed.
    String placed = echoed(Clients.get(appCookie, "/", "Cookie", "SESSION=zzz").body(), "backend");
    for (int i = 0; i < 5; i++) {
      assertThat(echoed(Clients.get(appCookie, "/", "Cookie", "SESSION=zzz").body(), "backend")).isEqualTo(placed);
    }
    Set<String> without = new HashSet<>();
    for (int i = 0; i < 6; i++) without.add(echoed(Clients.get(appCookie, "/").body(), "backend"));
    assertThat(without).as("without the cookie: round robin").hasSize(3);
  }
}
