package io.fiberlb.port;

/**
 * One condition of an L7 policy (Octavia's model): a part of the request compared with {@code value}.
 *
 * @param key HEADER: the header's name; COOKIE: the cookie's name; empty for the other types
 * @param value what the part is compared with; for REGEX a java.util.regex pattern the control plane has compiled
 * @param invert whether the rule matches when the comparison fails
 */
public record DesiredL7Rule(String id, Type type, CompareType compareType, String key, String value, boolean invert) {

  /** Which part of the request: the Host (without port), the path, the path's extension, a header, a cookie. */
  public enum Type { HOST_NAME, PATH, FILE_TYPE, HEADER, COOKIE }

  /** How the part is compared with the value (case-sensitive except HOST_NAME, which compares lower case). */
  public enum CompareType { EQUAL_TO, STARTS_WITH, ENDS_WITH, CONTAINS, REGEX }
}
