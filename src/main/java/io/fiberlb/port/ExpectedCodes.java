package io.fiberlb.port;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The HTTP status codes a health check accepts ({@code "200"}, {@code "200,204"}, {@code "200-299"}), parsed once.
 * One parser serves both the field rule in the control plane's {@code Validation} and the data plane's HTTP probe,
 * so what the API accepts is exactly what the probe understands; it lives in the port because both planes use it.
 *
 * @param ranges inclusive ranges in the order written; a single code is a range of one
 */
public record ExpectedCodes(List<Range> ranges) {
  private static final Pattern SYNTAX = Pattern.compile("\\d{3}(-\\d{3})?(,\\d{3}(-\\d{3})?)*");

  public record Range(int low, int high) {}

  public ExpectedCodes {
    ranges = List.copyOf(ranges);
  }

  /** Codes 100..599, ranges low to high; empty if {@code codes} breaks either rule. */
  public static Optional<ExpectedCodes> parse(String codes) {
    if (!SYNTAX.matcher(codes).matches()) return Optional.empty();
    var ranges = new ArrayList<Range>();
    for (String part : codes.split(",")) {
      String[] ends = part.split("-");
      int low = Integer.parseInt(ends[0]);
      int high = Integer.parseInt(ends[ends.length - 1]);
      if (low < 100 || high > 599 || low > high) return Optional.empty();
      ranges.add(new Range(low, high));
    }
    return Optional.of(new ExpectedCodes(ranges));
  }

  public boolean matches(int code) {
    for (Range r : ranges) {
      if (code >= r.low && code <= r.high) return true;
    }
    return false;
  }
}
