package io.fiberlb.util;

import inet.ipaddr.AddressStringParameters.RangeParameters;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one strict parser of IP addresses and CIDRs that the API accepts. The ipaddress library's defaults are
 * generous (inet_aton forms such as {@code 1.2.3} or {@code 0x7f.1}, an empty string as loopback, zones, ranges,
 * wildcards, masks); here only the textual forms an operator means are taken: dotted-quad IPv4 without leading
 * zeros, IPv6 (with an embedded IPv4 tail) without a zone, and for CIDRs one of those with a prefix length.
 */
public final class Addresses {
  private Addresses() {}

  private static final IPAddressStringParameters ADDRESS = params(false);
  private static final IPAddressStringParameters CIDR = params(true);
  /** Characters an address or CIDR may hold at all; anything else (spaces, %, *, -) is refused before parsing. */
  private static final Pattern ALPHABET = Pattern.compile("[0-9A-Fa-f:./]{1,64}");
  /** RFC 1123 labels, 253 characters at most, an optional final dot. */
  private static final Pattern HOSTNAME = Pattern.compile(
      "(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");
  /** A top-level label starts with a letter (RFC 3696 2): "1.2.3" and "0x7f.1" are not host names. */
  private static final Pattern LAST_LABEL = Pattern.compile("(^|\\.)[A-Za-z][A-Za-z0-9-]*\\.?$");

  private static IPAddressStringParameters params(boolean prefix) {
    // Prefix lengths are checked by cidr() (no leading zeros); the library's own rule refuses "/0" as one.
    var b = new IPAddressStringParameters.Builder().allowEmpty(false).allowAll(false).allowSingleSegment(false)
        .allowMask(false).allowPrefix(prefix).allowPrefixOnly(false).allowWildcardedSeparator(false)
        .setRangeOptions(RangeParameters.NO_RANGE).allow_inet_aton(false);
    b.getIPv4AddressParametersBuilder().allowLeadingZeros(false).allowUnlimitedLeadingZeros(false)
        .allowBinary(false).allowPrefixesBeyondAddressSize(false).allowPrefixLengthLeadingZeros(true)
        .setRangeOptions(RangeParameters.NO_RANGE);
    b.getIPv6AddressParametersBuilder().allowZone(false).allowEmptyZone(false).allowBase85(false)
        .allowBinary(false).allowUnlimitedLeadingZeros(false).allowPrefixesBeyondAddressSize(false)
        .allowPrefixLengthLeadingZeros(true).setRangeOptions(RangeParameters.NO_RANGE);
    return b.toParams();
  }

  /** An IPv4 or IPv6 address literal, strictly; empty when {@code text} is anything else. */
  public static Optional<IPAddress> ip(String text) {
    if (text == null || !ALPHABET.matcher(text).matches() || text.indexOf('/') >= 0) return Optional.empty();
    IPAddress a = new IPAddressString(text, ADDRESS).getAddress();
    return a == null || a.isMultiple() || a.isPrefixed() ? Optional.empty() : Optional.of(a);
  }

  /** A CIDR such as {@code 10.0.0.0/8} or {@code 2001:db8::/32}, strictly; empty when {@code text} is anything else. */
  public static Optional<IPAddress> cidr(String text) {
    if (text == null || !ALPHABET.matcher(text).matches()) return Optional.empty();
    int slash = text.indexOf('/');
    if (slash <= 0 || slash != text.lastIndexOf('/') || !text.substring(slash + 1).matches("0|[1-9][0-9]{0,2}")) {
      return Optional.empty();
    }
    if (ip(text.substring(0, slash)).isEmpty()) return Optional.empty();
    IPAddress a = new IPAddressString(text, CIDR).getAddress();
    return a == null || !a.isPrefixed() ? Optional.empty() : Optional.of(a);
  }

  /** An RFC 1123 host name whose last label starts with a letter. */
  public static boolean isHostname(String text) {
    return text != null && HOSTNAME.matcher(text).matches() && LAST_LABEL.matcher(text).find();
  }

  /**
   * Why {@code text} cannot be a backend address, or empty when it can: an address or host name, and never an
   * address no backend can have (unspecified {@code 0.0.0.0} / {@code ::}, broadcast, multicast).
   */
  public static Optional<String> backendProblem(String text) {
    Optional<IPAddress> ip = ip(text);
    if (ip.isEmpty()) {
      return isHostname(text) ? Optional.empty()
          : Optional.of("must be an IPv4 or IPv6 address or a host name, got '" + text + "'");
    }
    IPAddress a = ip.get();
    if (a.isAnyLocal()) return Optional.of("must not be the unspecified address, got " + text);
    if (a.isMulticast()) return Optional.of("must not be a multicast address, got " + text);
    if (a.isIPv4() && a.isMax()) return Optional.of("must not be the broadcast address, got " + text);
    return Optional.empty();
  }
}
