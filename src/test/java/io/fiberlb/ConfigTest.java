package io.fiberlb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import io.fiberlb.controlplane.ControlPlaneSettings;
import java.io.File;
import org.junit.jupiter.api.Test;

/** The configuration files in conf/ resolve to what they promise, and the environment hooks work. */
class ConfigTest {
  private static Config load(String file) {
    Config parsed = ConfigFactory.parseFile(new File("conf/" + file),
        ConfigParseOptions.defaults().setAllowMissing(false));
    return parsed.withFallback(ConfigFactory.defaultReference()).resolve(ConfigResolveOptions.defaults());
  }

  @Test
  void theEmbeddedDefault() {
    Config c = load("local.conf");
    assertThat(c.getString("fiberlb.database.kind")).isEqualTo("h2");
    assertThat(c.getString("fiberlb.grpc.host")).isEqualTo("127.0.0.1");
    assertThat(c.getStringList("pekko.cluster.seed-nodes")).isEmpty();
    assertThat(ControlPlaneSettings.fromConfig(c).vipRange()).isEqualTo("127.0.10.0/24");
  }

  @Test
  void everySnapshotIsKeptUnlessANumberIsGiven() {
    Config c = load("local.conf");
    assertThat(ControlPlaneSettings.fromConfig(c).keepSnapshots()).isZero();
    Config five = ConfigFactory.parseString("fiberlb.control-plane.keep-snapshots = 5").withFallback(c);
    assertThat(ControlPlaneSettings.fromConfig(five).keepSnapshots()).isEqualTo(5);
    for (String bad : new String[] {"0", "-1", "some"}) {
      Config wrong = ConfigFactory.parseString("fiberlb.control-plane.keep-snapshots = \"" + bad + "\"").withFallback(c);
      assertThatThrownBy(() -> ControlPlaneSettings.fromConfig(wrong))
          .hasMessage("fiberlb.control-plane.keep-snapshots: must be \"all\" or a number of 1 or more, got " + bad);
    }
  }

  @Test
  void postgresSwitchesProfileDriverAndUrl() {
    Config c = load("postgres.conf");
    assertThat(c.getString("fiberlb.database.kind")).isEqualTo("postgres");
    assertThat(c.getString("pekko-persistence-jdbc.shared-databases.slick.profile")).isEqualTo("slick.jdbc.PostgresProfile$");
    assertThat(c.getString("pekko-persistence-jdbc.shared-databases.slick.db.driver")).isEqualTo("org.postgresql.Driver");
    assertThat(c.getString("pekko-persistence-jdbc.shared-databases.slick.db.url")).startsWith("jdbc:postgresql://");
  }

  @Test
  void aClusterNodeBootstrapsFromContactPointsWithFixedPortsAndManagement() {
    Config c = io.fiberlb.cluster.ClusterFormation.apply(load("cluster-node.conf"));
    assertThat(c.getStringList("pekko.cluster.seed-nodes")).isEmpty();
    assertThat(c.getString("fiberlb.cluster.discovery")).isEqualTo("config");
    assertThat(c.getConfigList("pekko.discovery.config.services.fiberlb.endpoints"))
        .extracting(e -> e.getString("host") + ":" + e.getInt("port"))
        .containsExactly("127.0.0.1:8558", "127.0.0.1:8559", "127.0.0.1:8560");
    String bootstrap = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    assertThat(c.getInt(bootstrap + "required-contact-point-nr")).isEqualTo(3);
    assertThat(c.getBoolean(bootstrap + "contact-with-all-contact-points")).isTrue();
    assertThat(c.getString(bootstrap + "discovery-method")).isEqualTo("config");
    assertThat(c.getInt("pekko.remote.artery.canonical.port")).isEqualTo(2552);
    assertThat(c.getBoolean("fiberlb.management.enabled")).isTrue();
    assertThat(c.getString("fiberlb.database.kind")).isEqualTo("postgres");
    assertThat(c.getStringList("pekko.cluster.roles")).containsExactly("dataplane", "controlplane");
  }

  @Test
  void rolesFollowTheDataPlaneUnlessNamed() {
    Config local = load("local.conf");
    assertThat(io.fiberlb.cluster.ClusterFormation.apply(local).getStringList("pekko.cluster.roles"))
        .containsExactly("dataplane", "controlplane");
    Config apiOnly = ConfigFactory.parseString("fiberlb.dataplane.enabled = false").withFallback(local);
    assertThat(io.fiberlb.cluster.ClusterFormation.apply(apiOnly).getStringList("pekko.cluster.roles"))
        .containsExactly("controlplane");
    Config bad = ConfigFactory.parseString("fiberlb.cluster.roles = \"dataplane,router\"").withFallback(local);
    assertThatThrownBy(() -> io.fiberlb.cluster.ClusterFormation.apply(bad))
        .hasMessage("fiberlb.cluster.roles (FIBERLB_CLUSTER_ROLES): each role must be dataplane or controlplane, got 'router'");
  }

  @Test
  void seedNodesAndBadContactPointsAreRefusedSayingWhatToSet() {
    Config local = load("local.conf");
    Config seeds = ConfigFactory.parseString("fiberlb.cluster.seed-nodes-env = \"pekko://fiberlb@10.0.0.1:2552\"")
        .withFallback(local);
    assertThatThrownBy(() -> io.fiberlb.cluster.ClusterFormation.apply(seeds))
        .hasMessageContaining("FIBERLB_SEED_NODES is no longer read").hasMessageContaining("FIBERLB_CONTACT_POINTS");
    Config few = ConfigFactory.parseString("fiberlb.cluster { contact-points = \"10.0.0.1:8558\", size = 3 }")
        .withFallback(local);
    assertThatThrownBy(() -> io.fiberlb.cluster.ClusterFormation.apply(few))
        .hasMessageContaining("1 contact point(s) for a cluster of FIBERLB_CLUSTER_SIZE=3");
    Config noPort = ConfigFactory.parseString("fiberlb.cluster.contact-points = \"10.0.0.1\"").withFallback(local);
    assertThatThrownBy(() -> io.fiberlb.cluster.ClusterFormation.apply(noPort))
        .hasMessageContaining("each contact point must be host:port");
  }

  @Test
  void oneLogLevelSuitsLogbackAndPekko() {
    Config warn = com.typesafe.config.ConfigFactory.parseString("pekko.loglevel = WARN");
    assertThat(FiberLb.withLogLevel(warn).getString("pekko.loglevel")).isEqualTo("WARNING");
    Config trace = com.typesafe.config.ConfigFactory.parseString("pekko.loglevel = trace");
    assertThat(FiberLb.withLogLevel(trace).getString("pekko.loglevel")).isEqualTo("DEBUG");
    Config info = com.typesafe.config.ConfigFactory.parseString("pekko.loglevel = INFO");
    assertThat(FiberLb.withLogLevel(info)).isSameAs(info);
  }

  @Test
  void theDatabaseKindAloneChoosesDriverProfileAndADefaultUrl() {
    String slick = "pekko-persistence-jdbc.shared-databases.slick.";
    Config pg = io.fiberlb.persistence.Schema.withDatabaseKind(
        ConfigFactory.parseString("fiberlb.database.kind = postgres").withFallback(ConfigFactory.load()).resolve());
    assertThat(pg.getString(slick + "profile")).isEqualTo("slick.jdbc.PostgresProfile$");
    assertThat(pg.getString(slick + "db.driver")).isEqualTo("org.postgresql.Driver");
    assertThat(pg.getString(slick + "db.url")).isEqualTo("jdbc:postgresql://127.0.0.1:5432/fiberlb");
    assertThat(pg.getString("fiberlb.database.url")).isEqualTo("jdbc:postgresql://127.0.0.1:5432/fiberlb");
    Config named = io.fiberlb.persistence.Schema.withDatabaseKind(ConfigFactory.parseString(
        "fiberlb.database.kind = postgres\nfiberlb.database.url = \"jdbc:postgresql://db:5432/x\"\n"
            + slick + "db.url = ${fiberlb.database.url}").withFallback(ConfigFactory.load()).resolve());
    assertThat(named.getString(slick + "db.url")).isEqualTo("jdbc:postgresql://db:5432/x");
    Config h2 = io.fiberlb.persistence.Schema.withDatabaseKind(ConfigFactory.load());
    assertThat(h2.getString(slick + "db.driver")).isEqualTo("org.h2.Driver");
    assertThatThrownBy(() -> io.fiberlb.persistence.Schema.withDatabaseKind(
        ConfigFactory.parseString("fiberlb.database.kind = mysql").withFallback(ConfigFactory.load())))
        .hasMessage("fiberlb.database.kind (FIBERLB_DB_KIND): must be h2 or postgres, got 'mysql'");
    assertThatThrownBy(() -> io.fiberlb.persistence.Schema.withDatabaseKind(ConfigFactory.parseString(
        "fiberlb.database.url = \"jdbc:postgresql://db/x?password=s\"").withFallback(ConfigFactory.load())))
        .hasMessageContaining("database kind h2 needs a jdbc:h2: URL, got 'jdbc:postgresql://db/x?password=***'");
  }

  @Test
  void passwordsStayOutOfTheLog() {
    assertThat(io.fiberlb.persistence.Schema.redact("jdbc:postgresql://db:5432/fiberlb?user=x&password=secret&ssl=true"))
        .isEqualTo("jdbc:postgresql://db:5432/fiberlb?user=x&password=***&ssl=true");
    assertThat(io.fiberlb.persistence.Schema.redact("jdbc:h2:file:./data/fiberlb;DATABASE_TO_UPPER=false"))
        .isEqualTo("jdbc:h2:file:./data/fiberlb;DATABASE_TO_UPPER=false");
  }

  @Test
  void localIdentityModeRefusesANonLoopbackBind() {
    Config c = ConfigFactory.parseString("fiberlb.grpc.host = \"0.0.0.0\"").withFallback(load("local.conf"));
    assertThatThrownBy(() -> FiberLb.start(c)).hasMessageContaining("local mode binds to loopback only");
  }

  @Test
  void theProductionTemplatePassesTheSafetyRulesOnceItsFilesExist() throws Exception {
    Config c = load("production.conf");
    assertThat(c.getString("fiberlb.grpc.host")).isEqualTo("0.0.0.0");
    assertThat(c.getString("pekko.remote.artery.transport")).isEqualTo("tls-tcp");
    assertThat(c.getString("fiberlb.identity.mode")).isEqualTo("verified");
    // The rules that need no files: a non-loopback API and metrics with TLS, a token file and a metrics token.
    io.fiberlb.api.security.ApiSecurity.check(c);
    assertThat(io.fiberlb.api.security.ApiSecurity.verified(c)).isTrue();
  }
}
