package io.fiberlb;

/** The jar's entry point: {@code fiberlb server} or a CLI command (see {@code bin/fiberlb --help}). */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    int code = io.fiberlb.cli.Cli.run(args);
    if (code != 0 || args.length == 0 || !args[0].equals("server")) System.exit(code);
  }
}
