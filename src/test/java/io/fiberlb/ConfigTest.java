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
  void aClusterNodeHasSeedsFixedPortsAndManagement() {
    Config c = load("cluster-node.conf");
    assertThat(c.getStringList("pekko.cluster.seed-nodes")).containsExactly("pekko://fiberlb@127.0.0.1:2552");
    assertThat(c.getInt("pekko.remote.artery.canonical.port")).isEqualTo(2552);
    assertThat(c.getBoolean("fiberlb.management.enabled")).isTrue();
    assertThat(c.getString("fiberlb.database.kind")).isEqualTo("postgres");
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
  void seedNodesFromTheEnvironmentAreACommaSeparatedList() {
    Config c = FiberLb.withSeedNodes(load("cluster-node.conf"),
        " pekko://fiberlb@10.0.0.1:2552, pekko://fiberlb@10.0.0.2:2552 ");
    assertThat(c.getStringList("pekko.cluster.seed-nodes"))
        .containsExactly("pekko://fiberlb@10.0.0.1:2552", "pekko://fiberlb@10.0.0.2:2552");
    assertThat(FiberLb.withSeedNodes(c, null)).isSameAs(c);
    assertThatThrownBy(() -> FiberLb.withSeedNodes(c, "10.0.0.1:2552"))
        .hasMessageContaining("FIBERLB_SEED_NODES: each seed must look like pekko://fiberlb@host:2552");
  }

  @Test
  void passwordsStayOutOfTheLog() {
    assertThat(FiberLb.redact("jdbc:postgresql://db:5432/fiberlb?user=x&password=secret&ssl=true"))
        .isEqualTo("jdbc:postgresql://db:5432/fiberlb?user=x&password=***&ssl=true");
    assertThat(FiberLb.redact("jdbc:h2:file:./data/fiberlb;DATABASE_TO_UPPER=false"))
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
