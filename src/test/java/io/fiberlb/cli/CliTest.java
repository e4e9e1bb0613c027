package io.fiberlb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;

/** Help, usage errors and exit codes: everything the CLI decides before it connects to a server. */
class CliTest {
  record Result(int code, String out, String err) {}

  /** Runs one command line in-process with captured output. None of these may reach the point of connecting. */
  static Result run(String... args) {
    var cli = new Cli();
    CommandLine cl = Cli.commandLine(cli);
    var out = new StringWriter();
    var err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    try {
      return new Result(cl.execute(args), out.toString(), err.toString());
    } finally {
      cli.close();
    }
  }

  private static List<CommandLine> allCommands() {
    List<CommandLine> all = new ArrayList<>();
    List<CommandLine> todo = new ArrayList<>(List.of(Cli.commandLine(new Cli())));
    while (!todo.isEmpty()) {
      CommandLine c = todo.remove(0);
      all.add(c);
      todo.addAll(c.getSubcommands().values());
    }
    return all;
  }

  @Test
  void topHelpListsEveryCommandAndTheExampleSession() {
    Result r = run("--help");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .startsWith("Usage: fiberlb [OPTIONS] COMMAND")
        .contains("lb ", "listener ", "pool ", "backend ", "healthcheck ", "server ", "help ")
        .contains("--server=HOST:PORT", "--org=ORG", "--project=PROJECT", "--json")
        .contains("Exit status:", "3   the server could not be reached")
        .contains("bin/fiberlb lb create --name web", "bin/fiberlb lb status web",
            "bin/fiberlb lb delete web --cascade --wait", "--lb-algorithm MAGLEV --health-check-id web-check",
            "bin/fiberlb lb update web --description \"public web\"", "completion ", "-f, --format=FORMAT",
            "-c, --column=COLUMN", "4   --wait gave up");
  }

  @Test
  void everyCommandHasADescriptionAndEveryFlagIsExplained() {
    List<String> undocumented = new ArrayList<>();
    for (CommandLine c : allCommands()) {
      var spec = c.getCommandSpec();
      if (c.getParent() != null && String.join("", spec.usageMessage().description()).isBlank()) {
        undocumented.add(spec.qualifiedName());
      }
      List<ArgSpec> args = new ArrayList<>(spec.options());
      args.addAll(spec.positionalParameters());
      for (ArgSpec a : args) {
        if (String.join("", a.description()).isBlank()) undocumented.add(spec.qualifiedName() + " " + a);
      }
    }
    assertThat(undocumented).isEmpty();
  }

  @Test
  void everyCommandAnswersHelp() {
    for (CommandLine c : allCommands()) {
      String name = c.getCommandSpec().qualifiedName();
      if (name.equals("fiberlb help")) continue;
      List<String> args = new ArrayList<>(List.of(name.split(" ")).subList(1, name.split(" ").length));
      args.add("--help");
      Result r = run(args.toArray(String[]::new));
      assertThat(r.code()).as(name).isZero();
      assertThat(r.out()).as(name).startsWith("Usage: " + name + " ").contains("-h, --help");
    }
  }

  @Test
  void commandHelpShowsTheResourceFlagsWithTheirDefaults() {
    Result r = run("pool", "create", "--help");
    assertThat(r.out().replaceAll("\\s+", " "))
        .startsWith("Usage: fiberlb pool create --lb=LB [OPTIONS]")
        .contains("--lb-algorithm=ALGORITHM", "ROUND_ROBIN, WEIGHTED_ROUND_ROBIN", "Default on create: ROUND_ROBIN")
        .contains("--session-persistence=TYPE", "NONE, SOURCE_IP", "--health-check-id=HC", "--request-id=ID",
            "--wait", "--wait-timeout=DURATION", "Default: 60s")
        .doesNotContain("UNSPECIFIED", "UNRECOGNIZED");
    assertThat(run("listener", "get", "--help").out())
        .startsWith("Usage: fiberlb listener get --lb=LB [OPTIONS] LISTENER");
    assertThat(run("lb", "--help").out()).contains("create", "status", "Examples:");
  }

  @Test
  void udpIsOfferedAndExplainedInTheHelp() {
    assertThat(run("listener", "create", "--help").out().replaceAll("\\s+", " "))
        .contains("One of TCP, UDP, HTTP, TERMINATED_HTTPS", "UDP needs the netty engine",
            "--default-tls-container-ref", "--insert-headers");
    assertThat(run("pool", "create", "--help").out().replaceAll("\\s+", " "))
        .contains("A UDP pool serves UDP listeners and takes UDP_CONNECT health checks");
    assertThat(run("healthcheck", "create", "--help").out().replaceAll("\\s+", " "))
        .contains("One of TCP, HTTP, UDP_CONNECT, HTTPS, TLS_HELLO.", "UDP_CONNECT (UDP pools only)",
            "ICMP port unreachable", "--domain-name");
    // The examples of each resource show a UDP create.
    assertThat(run("listener", "--help").out()).contains("--protocol UDP");
    assertThat(run("pool", "--help").out()).contains("--protocol UDP");
    assertThat(run("healthcheck", "--help").out()).contains("--type UDP_CONNECT");
  }

  @Test
  void versionIsPrinted() {
    Result r = run("--version");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("fiberlb ");
  }

  @Test
  void aWrongEnumValueIsAUsageErrorListingTheAcceptedValues() {
    Result r = run("pool", "create", "--lb", "LB", "--lb-algorithm", "fastest");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .startsWith("error: Invalid value for option '--lb-algorithm': 'fastest' is not a load-balancing algorithm;")
        .contains("MAGLEV", "RANDOM_TWO_CHOICES", "Run 'fiberlb pool create --help' for usage.")
        .doesNotContain("LB_ALGORITHM_UNSPECIFIED");
  }

  @Test
  void usageMistakesExitWith2BeforeConnecting() {
    assertThat(run("lb", "frobnicate").code()).isEqualTo(2);
    assertThat(run("lb").err()).contains("Missing required subcommand");
    assertThat(run("listener", "create", "--protocol-port", "80").err()).contains("--lb=LB");
    assertThat(run("backend", "create", "--lb", "LB").err()).contains("--pool=POOL");
    assertThat(run("healthcheck", "create", "--lb", "LB", "--interval", "soon").err())
        .contains("not a duration: 'soon'");
    assertThat(run("lb", "update", "--admin-state-up", "maybe", "LB").err()).contains("'maybe' is not a boolean");

    Result nothing = run("lb", "update", "LB");
    assertThat(nothing.code()).isEqualTo(2);
    assertThat(nothing.err()).startsWith("error: nothing to change");

    Result persistence = run("pool", "update", "--lb", "LB", "POOL", "--session-persistence-timeout", "1h");
    assertThat(persistence.code()).isEqualTo(2);
    assertThat(persistence.err()).contains("--session-persistence-timeout needs --session-persistence");

    Result server = run("--server", "nowhere", "lb", "list");
    assertThat(server.code()).isEqualTo(2);
    assertThat(server.err()).startsWith("error: --server: 'nowhere' is not HOST:PORT");
  }

  @Test
  void globalFlagsAreAcceptedBeforeAndAfterTheCommand() {
    var cli = new Cli();
    Cli.commandLine(cli).parseArgs("--org", "acme", "lb", "list", "--project", "p1", "--json",
        "--server", "[::1]:7000");
    assertThat(cli.org).isEqualTo("acme");
    assertThat(cli.project).isEqualTo("p1");
    assertThat(cli.outputOptions.format()).isEqualTo(OutputOptions.Format.JSON);
    assertThat(cli.server).isEqualTo("[::1]:7000");
  }
}
