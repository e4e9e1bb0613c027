package io.fiberlb.util;

/**
 * Characters no text of the API may hold: control characters (C0, DEL, C1), which break logs and terminals, and
 * the Unicode bidirectional embedding, override and isolate controls (U+202A..U+202E, U+2066..U+2069), with which
 * a name can display as something other than what it is ("Trojan Source", CVE-2021-42574).
 */
public final class Texts {
  private Texts() {}

  public static boolean isUnsafe(int codePoint) {
    return Character.isISOControl(codePoint) || (codePoint >= 0x202A && codePoint <= 0x202E)
        || (codePoint >= 0x2066 && codePoint <= 0x2069);
  }

  /** The first unsafe code point of {@code s} described for an error message ("U+202E"), or null when there is none. */
  public static String firstUnsafe(String s) {
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      if (isUnsafe(cp)) return String.format("U+%04X at index %d", cp, i);
      i += Character.charCount(cp);
    }
    return null;
  }
}
