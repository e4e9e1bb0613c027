package io.fiberlb.cli;

import io.fiberlb.FiberLb;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code fiberlb} command: {@code fiberlb server} runs a node, every other command is one call to the gRPC
 * API of a running node. {@link #run} is the whole program; {@code io.fiberlb.Main} exits with what it returns.
 */
@Command(
    name = "fiberlb",
    mixinStandardHelpOptions = true,
    versionProvider = Cli.Version.class,
    sortOptions = false,
    description = {
        "FiberLB: load balancing as a service.",
        "",
        "Runs a FiberLB server (fiberlb server), or manages load balancers and their listeners, pools, backends"
            + " and health checks, and certificates, through the gRPC API of a running server, and reads their history (fiberlb"
            + " audit). Every call is made as the --org and --project given, sent as the x-fiberlb-org and"
            + " x-fiberlb-project headers. A server that verifies callers (not on loopback, or with"
            + " FIBERLB_AUTH_* set) needs --token or a client certificate (--cert, --key), and then acts in the"
            + " token's or certificate's own project; only global_observer and admin may name another with --org"
            + " and --project."},
    subcommands = {
        LoadBalancerCommands.class,
        ListenerCommands.class,
        PoolCommands.class,
        BackendCommands.class,
        HealthCheckCommands.class,
        L7PolicyCommands.class,
        L7RuleCommands.class,
        AuditCommands.class,
        TokenCommands.class,
        ClusterCommands.class,
        CompletionCommand.class,
        QuotaCommands.class,
        CertificateCommands.class,
        Cli.Server.class,
        HelpCommand.class},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:done",
        "1:the server refused or failed the call (the gRPC status is printed); a name that no resource has, or"
            + " several (they are listed); with --wait: the resource ended in ERROR (the reason is printed)",
        "2:wrong usage: unknown command or flag, bad value",
        "3:the server could not be reached",
        "4:--wait gave up: --wait-timeout passed before the change took effect"},
    footerHeading = "%nExamples (names work wherever an id does):%n",
    footer = {
        "  bin/fiberlb server &",
        "  bin/fiberlb lb create --name web              # prints its id and vip_address",
        "  bin/fiberlb healthcheck create --lb web --name web-check --type HTTP \\",
        "      --interval 2s --timeout 1s --rise 2 --fall 3 --url-path /",
        "  bin/fiberlb pool create --lb web --name web --protocol TCP \\",
        "      --lb-algorithm MAGLEV --health-check-id web-check",
        "  bin/fiberlb backend create --lb web --pool web --name web-1 \\",
        "      --address 127.0.0.1 --protocol-port 8081 --weight 10",
        "  bin/fiberlb listener create --lb web --name http --protocol TCP \\",
        "      --protocol-port 8080 --default-pool-id web --wait",
        "  bin/fiberlb lb update web --description \"public web\"",
        "  bin/fiberlb lb get web -f value -c vip_address",
        "  bin/fiberlb lb status web",
        "  bin/fiberlb lb stats web                      # connections and bytes",
        "  bin/fiberlb audit events --lb web --since 1h    # who changed what",
        "  bin/fiberlb audit diff --lb web --from 3        # since version 3",
        "  bin/fiberlb lb delete web --cascade --wait",
        "  bin/fiberlb certificate create --name web --certificate-file chain.pem \\",
        "      --private-key-file key.pem                # for TERMINATED_HTTPS listeners",
        "  bin/fiberlb token create --org acme --project web --role member",
        "  source <(bin/fiberlb completion bash)         # tab completion",
        "",
        "Run 'fiberlb COMMAND --help' (or 'fiberlb help COMMAND') for the flags of a",
        "command; 'fiberlb lb create --help' for example."})
public final class Cli {
  @Spec CommandSpec spec;

  @Option(names = "--server", scope = ScopeType.INHERIT, order = 100, paramLabel = "HOST:PORT",
      defaultValue = "${env:FIBERLB_SERVER:-127.0.0.1:9090}",
      description = "The FiberLB server to call, over HTTP/2: plaintext, or TLS with --tls, --ca or --cert. Default:"
          + " $FIBERLB_SERVER, else 127.0.0.1:9090 (now ${DEFAULT-VALUE}).")
  String server;

  @Option(names = "--token", scope = ScopeType.INHERIT, order = 104, paramLabel = "TOKEN",
      defaultValue = "${env:FIBERLB_TOKEN}",
      description = "Bearer token to call with (an API token from 'fiberlb token create', or an OIDC/JWT access"
          + " token), sent as the authorization header. Default: $FIBERLB_TOKEN.")
  String token;

  @Option(names = "--tls", scope = ScopeType.INHERIT, order = 105,
      description = "Call over TLS, trusting the JDK's CAs (implied by --ca and --cert).")
  boolean tls;

  @Option(names = "--ca", scope = ScopeType.INHERIT, order = 106, paramLabel = "FILE",
      defaultValue = "${env:FIBERLB_CA}",
      description = "PEM bundle of the CAs to trust for the server's certificate (implies TLS). Default: $FIBERLB_CA,"
          + " else the JDK's CAs.")
  String ca;

  @Option(names = "--cert", scope = ScopeType.INHERIT, order = 107, paramLabel = "FILE",
      defaultValue = "${env:FIBERLB_CERT}",
      description = "PEM client certificate for mutual TLS, with --key. Default: $FIBERLB_CERT.")
  String cert;

  @Option(names = "--key", scope = ScopeType.INHERIT, order = 108, paramLabel = "FILE",
      defaultValue = "${env:FIBERLB_KEY}",
      description = "PEM private key (PKCS#8) of --cert. Default: $FIBERLB_KEY.")
  String key;

  @Option(names = "--org", scope = ScopeType.INHERIT, order = 101, paramLabel = "ORG",
      defaultValue = "${env:FIBERLB_ORG:-default}",
      description = "Organisation to act as. Default: $FIBERLB_ORG, else default (now ${DEFAULT-VALUE}).")
  String org;

  @Option(names = "--project", scope = ScopeType.INHERIT, order = 102, paramLabel = "PROJECT",
      defaultValue = "${env:FIBERLB_PROJECT:-default}",
      description = "Project to act in. Default: $FIBERLB_PROJECT, else default (now ${DEFAULT-VALUE}).")
  String project;

  /** -f, -c and --json, inherited by every command. */
  @Mixin OutputOptions outputOptions = new OutputOptions();

  private Api api;
  /**
   * The process's stdout as bytes, when the command line writes to it (not in tests, which capture the writer):
   * {@code audit export} copies the server's UTF-8 lines straight to it instead of decoding and re-encoding them.
   */
  java.io.OutputStream stdoutBytes;

  /** {@code fiberlb server}: the server itself, in this process. */
  @Command(name = "server",
      description = {
          "Run a FiberLB server in the foreground until it is stopped (Ctrl-C, SIGTERM).",
          "",
          "It serves the gRPC API (default 127.0.0.1:9090) and keeps its journal in an H2 file under the data"
              + " directory (default ./data), or in PostgreSQL with -Dconfig.file=conf/postgres.conf (through"
              + " FIBERLB_JAVA_OPTS). Settings come from application.conf and environment variables such as"
              + " FIBERLB_GRPC_PORT, FIBERLB_DATA_DIR, FIBERLB_VIP_RANGE (default 127.0.10.0/24) and"
              + " FIBERLB_LOG_LEVEL; see README.md.",
          "",
          "On a loopback address (the default) callers name their org and project in headers. Bound anywhere else it"
              + " needs TLS (FIBERLB_TLS_CERT, FIBERLB_TLS_KEY) and a way to authenticate callers"
              + " (FIBERLB_AUTH_TOKENS_FILE, FIBERLB_AUTH_JWKS, FIBERLB_TLS_CLIENT_CA), and refuses to start without"
              + " them; conf/production.conf is a template. grpc.health.v1 answers probes without credentials.",
          "",
          "Each listener binds its load balancer's VIP and port on the node that runs the load balancer, and proxies"
              + " TCP connections to its default pool; Prometheus metrics are served on 127.0.0.1:9464/metrics"
              + " (FIBERLB_METRICS_PORT). Bytes move through the netty engine (one event loop per CPU, native epoll;"
              + " FIBERLB_EVENT_LOOPS, FIBERLB_EPOLL=false for NIO) or, with FIBERLB_DATAPLANE_ENGINE=pekko, through"
              + " Pekko Streams TCP.",
          "",
          "Alone it is a cluster of one. For several nodes on one PostgreSQL journal, run each with"
              + " -Dconfig.file=conf/cluster-node.conf and the same FIBERLB_CONTACT_POINTS (every node's management"
              + " host:port) and FIBERLB_CLUSTER_SIZE: a node joins the running cluster, never forms a second one, and"
              + " serves VIPs only while it reaches a majority; FIBERLB_DATAPLANE_ENABLED=false makes it API-only.",
          "",
          "Ctrl-C or SIGTERM: the node leaves the cluster, hands its load balancers over and exits (the JVM reports 130/143). Exit status 1: the cluster removed (downed) this node, so a supervisor should restart it. Exit status 2: a setting was refused (the reason is printed)."})
  static final class Server implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      try {
        return FiberLb.runServerForever();
      } catch (IllegalArgumentException e) {
        // A setting the server refuses (an unsafe bind, a half-configured TLS or JWT): the reason is the message.
        spec.commandLine().getErr().println("error: " + e.getMessage());
        spec.commandLine().getErr().flush();
        return spec.exitCodeOnInvalidInput();
      }
    }
  }

  /** Runs one command line and answers the exit code. Shuts down the client's actor system if one was made. */
  public static int run(String... args) {
    Cli cli = new Cli();
    cli.stdoutBytes = System.out;
    try {
      return commandLine(cli).execute(args);
    } finally {
      cli.close();
    }
  }

  /** The parser for one invocation, with FiberLB's error reporting and help layout. Tests capture its output. */
  static CommandLine commandLine(Cli cli) {
    CommandLine cl = new CommandLine(cli);
    cl.setExecutionExceptionHandler(Cli::onExecutionException);
    cl.setParameterExceptionHandler(Cli::onParameterException);
    cl.setUsageHelpAutoWidth(true);
    finishHelp(cl);
    return cl;
  }

  /**
   * Every command gets -h/--help (picocli gives it only to the top), shows its flags in the declared order under
   * headings, and a short synopsis: the required flags, [OPTIONS], the positional parameters.
   */
  private static void finishHelp(CommandLine cl) {
    CommandSpec s = cl.getCommandSpec();
    SpecFlags.addTo(s);
    if (cl.getCommand() instanceof Server || cl.getCommand() instanceof CompletionCommand) {
      // The client's global flags mean nothing to the server: without them its help is honest, and a stray
      // --server is a usage error rather than silently ignored.
      s.options().stream().filter(OptionSpec::inherited).toList().forEach(s::remove);
    }
    if (cl.getCommand() instanceof TokenCommands.Create) {
      // Making a token calls no server: of the global flags only the org and project mean something.
      s.options().stream().filter(o -> o.inherited() && !List.of("--org", "--project").contains(o.longestName()))
          .toList().forEach(s::remove);
    }
    if (s.options().stream().noneMatch(OptionSpec::usageHelp)) {
      s.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).order(200)
          .description("Show this help message and exit.").build());
    }
    s.usageMessage().sortOptions(false).customSynopsis(synopsis(s)).descriptionHeading("%n")
        .parameterListHeading("%nParameters:%n").optionListHeading("%nOptions:%n")
        .commandListHeading("%nCommands:%n");
    cl.getHelpSectionMap().put(UsageMessageSpec.SECTION_KEY_COMMAND_LIST, Cli::commandList);
    cl.getSubcommands().values().forEach(Cli::finishHelp);
  }

  /**
   * Verbs in the order a resource lives, then audit's (picocli lists @Command methods in reflection order).
   */
  private static String commandList(Help help) {
    Map<String, Help> ordered = new LinkedHashMap<>();
    for (String verb : List.of("create", "get", "list", "update", "delete", "status", "stats", "events", "at", "diff",
        "export")) {
      if (help.subcommands().containsKey(verb)) ordered.put(verb, help.subcommands().get(verb));
    }
    ordered.putAll(help.subcommands());
    return help.commandList(ordered);
  }

  /** {@code fiberlb listener get --lb=LB_ID [OPTIONS] LISTENER_ID}. */
  static String synopsis(CommandSpec s) {
    var sb = new StringBuilder(s.qualifiedName());
    s.options().stream().filter(OptionSpec::required)
        .forEach(o -> sb.append(' ').append(o.longestName()).append('=').append(o.paramLabel()));
    sb.append(" [OPTIONS]");
    for (var p : s.positionalParameters()) {
      sb.append(' ').append(p.required() ? p.paramLabel() : "[" + p.paramLabel() + "]");
    }
    if (!s.subcommands().isEmpty()) sb.append(" COMMAND");
    return sb.toString();
  }

  private static int onExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    if (e instanceof Api.CallFailed failed) {
      err.println(failed.report());
      err.flush();
      return failed.exitCode();
    }
    if (e instanceof Flags.UsageException) {
      return usageError(cmd, e.getMessage());
    }
    if (e instanceof Waiting.EndedInError || e instanceof Waiting.TimedOut) {
      err.println("error: " + e.getMessage());
      err.flush();
      return e instanceof Waiting.TimedOut ? Waiting.TIMED_OUT : 1;
    }
    err.println("error: " + e);
    e.printStackTrace(err);
    err.flush();
    return cmd.getCommandSpec().exitCodeOnExecutionException();
  }

  private static int onParameterException(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    UnmatchedArgumentException.printSuggestions(e, cmd.getErr());
    return usageError(cmd, e.getMessage());
  }

  private static int usageError(CommandLine cmd, String message) {
    PrintWriter err = cmd.getErr();
    err.println("error: " + message);
    err.println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
    err.flush();
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }

  // ------------------------------------------------------------------ what the commands use

  /** The connection to the server, made on first use. */
  Api api() {
    if (api == null) {
      Api.Endpoint endpoint;
      try {
        endpoint = Api.Endpoint.parse(server);
      } catch (IllegalArgumentException e) {
        throw new Flags.UsageException("--server: " + e.getMessage());
      }
      api = new Api(endpoint, org, project, credentials());
    }
    return api;
  }

  /** --token, --tls, --ca, --cert and --key, checked. */
  private Api.Credentials credentials() {
    if ((cert == null) != (key == null)) throw new Flags.UsageException("--cert and --key go together");
    for (String[] f : new String[][] {{"--ca", ca}, {"--cert", cert}, {"--key", key}}) {
      if (f[1] != null && !java.nio.file.Files.isReadable(java.nio.file.Path.of(f[1]))) {
        throw new Flags.UsageException(f[0] + ": cannot read " + f[1]);
      }
    }
    boolean useTls = tls || ca != null || cert != null;
    return new Api.Credentials(token == null || token.isBlank() ? null : token.trim(), useTls,
        ca == null ? null : java.nio.file.Path.of(ca), cert == null ? null : java.nio.file.Path.of(cert),
        key == null ? null : java.nio.file.Path.of(key));
  }

  /** Names to ids, for this invocation's project. */
  Names names() {
    if (names == null) names = new Names(api(), project);
    return names;
  }

  private Names names;

  Output output() {
    return new Output(spec.commandLine().getOut(), err(), outputOptions.format(), outputOptions.columns());
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  void close() {
    if (api != null) api.close();
  }

  /** The jar manifest's Implementation-Version, else the Maven build's version, else "dev". */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"fiberlb " + version()};
    }

    static String version() {
      String v = Cli.class.getPackage().getImplementationVersion();
      if (v != null) return v;
      try (InputStream in = Cli.class.getResourceAsStream("/META-INF/maven/io.fiberlb/fiberlb/pom.properties")) {
        if (in != null) {
          var p = new Properties();
          p.load(in);
          v = p.getProperty("version");
        }
      } catch (IOException ignored) {
        // no version to show
      }
      return v != null ? v : "dev";
    }
  }
}
