package io.fiberlb.cli;

import picocli.CommandLine.Option;

/** {@code --dry-run} on every create, update and delete: the server's {@code validate_only}. */
final class DryRunFlag {
  @Option(names = "--dry-run", order = 95,
      description = "Check the change and print what it would do, without doing it: the diff, the version it would"
          + " make, how much traffic it would move and the open connections it would drain or cut. Refused exactly"
          + " as the change itself would be.")
  boolean dryRun;
}
