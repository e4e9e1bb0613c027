package io.fiberlb.dataplane.l7;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.port.DesiredL7Policy;
import io.fiberlb.port.DesiredL7Policy.Action;
import io.fiberlb.port.DesiredL7Rule;
import io.fiberlb.port.DesiredL7Rule.CompareType;
import io.fiberlb.port.DesiredL7Rule.Type;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.Protocol;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The compiled routing table alone: every rule type and compare type, invert, AND, order, and what is equal. */
class RoutingTableTest {

  /** A request as a map: "host", "path" (with query), "h:Name", "c:name". */
  record Req(Map<String, String> parts) implements HttpRequestView {
    @Override
    public String host() {
      return parts.get("host");
    }

    @Override
    public String path() {
      String p = pathAndQuery();
      int q = p.indexOf('?');
      return q < 0 ? p : p.substring(0, q);
    }

    @Override
    public String pathAndQuery() {
      return parts.getOrDefault("path", "/");
    }

    @Override
    public String header(String name) {
      return parts.get("h:" + name);
    }

    @Override
    public String cookie(String name) {
      return parts.get("c:" + name);
    }
  }

  static DesiredL7Rule rule(Type t, CompareType c, String key, String value, boolean invert) {
    return new DesiredL7Rule("r", t, c, key, value, invert);
  }

  static DesiredL7Policy pool(String id, int pos, DesiredL7Rule... rules) {
    return new DesiredL7Policy(id, Action.REDIRECT_TO_POOL, pos, "", "", "p-" + id, 0, List.of(rules));
  }

  static RoutingTable table(DesiredL7Policy... policies) {
    var l = new DesiredListener("l", Protocol.HTTP, 80, "", -1, 0, 0, 0, List.of(), true, Map.of(),
        List.of(policies), null, false);
    return RoutingTable.compile(l, Map.of());
  }

  static String policy(RoutingTable t, Map<String, String> req) {
    Route r = t.route(new Req(req));
    if (r instanceof Route.ToPool p) return p.policyId();
    if (r instanceof Route.Reject j) return "reject:" + j.policyId();
    Route.Redirect d = (Route.Redirect) r;
    return d.code() + " " + d.location();
  }

  @Test
  void compareTypesOnEachPart() {
    RoutingTable t = table(
        pool("host", 1, rule(Type.HOST_NAME, CompareType.ENDS_WITH, "", ".Example.COM", false)),
        pool("path", 2, rule(Type.PATH, CompareType.STARTS_WITH, "", "/api/", false)),
        pool("file", 3, rule(Type.FILE_TYPE, CompareType.EQUAL_TO, "", "jpg", false)),
        pool("header", 4, rule(Type.HEADER, CompareType.CONTAINS, "User-Agent", "curl", false)),
        pool("cookie", 5, rule(Type.COOKIE, CompareType.REGEX, "sid", "^[0-9]+$", false)));
    assertThat(policy(t, Map.of("host", "www.example.com:443"))).isEqualTo("host");
    assertThat(policy(t, Map.of("host", "example.org", "path", "/api/v1?x=/"))).isEqualTo("path");
    assertThat(policy(t, Map.of("path", "/a.b/c.jpg?x=y.png"))).isEqualTo("file");
    assertThat(policy(t, Map.of("path", "/a.jpg/c"))).as("extension of the last segment only").isEqualTo("");
    assertThat(policy(t, Map.of("h:User-Agent", "curl/8"))).isEqualTo("header");
    assertThat(policy(t, Map.of("c:sid", "1234"))).isEqualTo("cookie");
    assertThat(policy(t, Map.of("c:sid", "12a4"))).isEqualTo("");
  }

  @Test
  void rulesAreAndedInvertedAndMissingPartsFail() {
    RoutingTable t = table(pool("both", 1, rule(Type.PATH, CompareType.EQUAL_TO, "", "/x", false),
        rule(Type.HEADER, CompareType.EQUAL_TO, "X-A", "1", true)));
    assertThat(policy(t, Map.of("path", "/x"))).as("missing header, inverted: matches").isEqualTo("both");
    assertThat(policy(t, Map.of("path", "/x", "h:X-A", "2"))).isEqualTo("both");
    assertThat(policy(t, Map.of("path", "/x", "h:X-A", "1"))).isEqualTo("");
    assertThat(policy(t, Map.of("path", "/y"))).isEqualTo("");
  }

  @Test
  void firstMatchWinsAndPoliciesWithoutRulesMatchNothing() {
    RoutingTable t = table(
        new DesiredL7Policy("empty", Action.REJECT, 1, "", "", "", 0, List.of()),
        new DesiredL7Policy("deny", Action.REJECT, 2, "", "", "", 0,
            List.of(rule(Type.PATH, CompareType.STARTS_WITH, "", "/", false))),
        pool("never", 3, rule(Type.PATH, CompareType.STARTS_WITH, "", "/", false)));
    assertThat(policy(t, Map.of("path", "/a"))).isEqualTo("reject:deny");
  }

  @Test
  void redirectPrefixKeepsPathAndQuery() {
    RoutingTable t = table(new DesiredL7Policy("pre", Action.REDIRECT_PREFIX, 1, "", "https://b.example/", "", 302,
        List.of(rule(Type.HOST_NAME, CompareType.EQUAL_TO, "", "a.example", false))));
    assertThat(policy(t, Map.of("host", "A.example", "path", "/p/q?r=s"))).isEqualTo("302 https://b.example/p/q?r=s");
  }

  @Test
  void hostNameAndFileTypeHelpers() {
    assertThat(RoutingTable.hostName("[::1]:8080")).isEqualTo("[::1]");
    assertThat(RoutingTable.hostName("Example.COM")).isEqualTo("example.com");
    assertThat(RoutingTable.hostName(null)).isNull();
    assertThat(RoutingTable.fileType("/a/b.tar.gz")).isEqualTo("gz");
    assertThat(RoutingTable.fileType("/a/")).isEmpty();
  }

  @Test
  void sameConfigurationCompilesToAnEqualTable() {
    var r = rule(Type.PATH, CompareType.REGEX, "", "^/a", false);
    assertThat(table(pool("a", 1, r))).isEqualTo(table(pool("a", 1, r)));
    assertThat(table(pool("a", 1, r))).isNotEqualTo(table(pool("b", 1, r)));
  }
}
