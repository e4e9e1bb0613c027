package io.fiberlb.cli;

import io.fiberlb.api.security.ApiTokens;
import io.fiberlb.api.security.Role;
import java.io.PrintWriter;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code fiberlb token create}: a new API token, made here without any server. */
@Command(name = "token",
    description = {"API tokens for the tokens file of servers in verified mode (FIBERLB_AUTH_TOKENS_FILE)."},
    subcommands = TokenCommands.Create.class)
final class TokenCommands {
  @Command(name = "create",
      description = {
          "Make a new random API token, print it once, and print the line to add to the tokens file. The file holds"
              + " only the token's SHA-256, so the token cannot be shown again: hand it to its user now. The server"
              + " reads the file again when it changes; remove the line to revoke the token."},
      footerHeading = "%nExample:%n",
      footer = {"  fiberlb token create --org acme --project web --role member --name ci-deploy"}
      )
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--role", order = 2, required = true, split = ",", paramLabel = "ROLE",
        description = "observer (reads its project), member (also writes in it), global_observer (reads any"
            + " project), admin (anything); repeatable or comma separated.")
    List<String> roles;

    @Option(names = "--name", order = 3, paramLabel = "NAME",
        description = "Who or what holds the token: the audit trail records token:NAME as the actor of its"
            + " changes. Default: ORG-PROJECT.")
    String name;

    @Override
    public Integer call() {
      // --org and --project are the global flags (FIBERLB_ORG, FIBERLB_PROJECT); here they must be said.
      Cli cli = (Cli) spec.root().userObject();
      for (String[] f : new String[][] {{"--org", "FIBERLB_ORG"}, {"--project", "FIBERLB_PROJECT"}}) {
        if (!spec.commandLine().getParseResult().hasMatchedOption(f[0]) && System.getenv(f[1]) == null) {
          throw new Flags.UsageException(f[0] + " is required: the token acts in one org and project");
        }
      }
      String org = cli.org;
      String project = cli.project;
      Set<Role> parsed = EnumSet.noneOf(Role.class);
      try {
        roles.forEach(r -> parsed.add(Role.of(r)));
      } catch (IllegalArgumentException e) {
        throw new Flags.UsageException("--role: " + e.getMessage());
      }
      String holder = name != null ? name : org + "-" + project;
      for (String[] f : new String[][] {{"--org", org}, {"--project", project}, {"--name", holder}}) {
        if (!f[1].matches("[a-z0-9]([a-z0-9._-]{0,62})")) {
          throw new Flags.UsageException(f[0] + ": 1..63 characters of a-z 0-9 . _ - starting with a letter or"
              + " digit, got '" + f[1] + "'");
        }
      }
      String token = ApiTokens.newToken();
      PrintWriter out = spec.commandLine().getOut();
      out.println("token (shown only now): " + token);
      out.println("add this line to the tokens file:");
      out.println(ApiTokens.line(token, org, project, parsed, holder));
      out.flush();
      return 0;
    }
  }
}
