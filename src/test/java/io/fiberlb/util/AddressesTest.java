package io.fiberlb.util;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The one strict parser of addresses, CIDRs and backend addresses: what it takes and what it refuses. */
class AddressesTest {
  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.1", "0.0.0.0", "255.255.255.255", "127.0.0.1", "2001:db8::1", "::", "::1",
      "2001:0db8:0000:0000:0000:0000:0000:0001", "::ffff:10.0.0.1", "FE80::1"})
  void addresses(String text) {
    assertThat(Addresses.ip(text)).as(text).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", " 10.0.0.1", "10.0.0.1 ", "1.2.3", "0x7f.1", "0x7f.0.0.1", "010.0.0.1",
      "0177.0.0.1", "4294967295", "10.0.0.256", "1.2.3.4.5", "fe80::1%eth0", "fe80::1%eth0%", "[::1]",
      "1.2.3.4:80", "10.0.0.0/8", "1.2.3.*", "1.2.3.4-5", "*", "::ffff:1.2.3", "2001:db8::00001", "localhost"})
  void notAddresses(String text) {
    assertThat(Addresses.ip(text)).as("'%s'", text).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.0/8", "10.1.2.3/8", "0.0.0.0/0", "192.168.1.1/32", "2001:db8::/32", "::/0",
      "::1/128"})
  void cidrs(String text) {
    assertThat(Addresses.cidr(text)).as(text).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0/8", "10/8", "10.0/16", "10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/08",
      "::/129", "10.0.0.0/8/8", "0x0a.0.0.0/8", "10.0.0.0 /8", "/8", "10.0.0.0/", "fe80::%eth0/64", "*",
      "1.2.3.4/0x8", "", " ", "10.0.0.0/255.0.0.0", "2001:db8::/32 ", "010.0.0.0/8"})
  void notCidrs(String text) {
    assertThat(Addresses.cidr(text)).as("'%s'", text).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.1", "2001:db8::1", "127.0.0.1", "backend-1.example", "localhost", "db.",
      "a.b.c.example.com", "1host.example"})
  void backends(String text) {
    assertThat(Addresses.backendProblem(text)).as(text).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "1.2.3", "0x7f.1", "fe80::1%eth0%", "0.0.0.0", "::", "255.255.255.255",
      "224.0.0.1", "239.255.255.250", "ff02::1", "example.123", "-host", "host-", "host_name", "a..b",
      "b\u00fccher.example", "10.0.0.1 "})
  void notBackends(String text) {
    assertThat(Addresses.backendProblem(text)).as("'%s'", text).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\u202eb", "a\u2066", "\u0000", "tab\there", "\u0085", "\u007f"})
  void unsafeText(String text) {
    assertThat(Texts.firstUnsafe(text)).as(text).startsWith("U+");
  }

  @ParameterizedTest
  @ValueSource(strings = {"web", "caf\u00e9", "\u05e9\u05dc\u05d5\u05dd", "\u0627\u0644\u0633\u0644\u0627\u0645", "\ud83d\ude00"})
  void safeText(String text) {
    assertThat(Texts.firstUnsafe(text)).as(text).isNull();
  }
}
