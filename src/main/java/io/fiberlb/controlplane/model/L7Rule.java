package io.fiberlb.controlplane.model;

import static io.fiberlb.controlplane.model.ChildPatch.or;

import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.Enums.L7CompareType;
import io.fiberlb.controlplane.model.Enums.L7RuleType;
import io.fiberlb.controlplane.model.Validation.Check;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One condition of an L7 policy (Octavia's model): a part of the request compared with {@code value}; a policy
 * matches when all its enabled rules do. Rules have no name, as in Octavia.
 *
 * @param key HEADER: the header's name; COOKIE: the cookie's name; empty for the other types
 * @param value what the part is compared with; a java.util.regex pattern with REGEX
 * @param invert the rule matches when the comparison fails
 */
public record L7Rule(
    String id,
    String policyId,
    L7RuleType type,
    L7CompareType compareType,
    String key,
    String value,
    boolean invert,
    boolean adminStateUp,
    List<String> tags,
    long version,
    long createdVersion,
    Instant createdAt,
    Instant updatedAt)
    implements Child {

  public static final int MAX_VALUE = 255;

  public static L7Rule defaults(String id, String policyId, long version, Instant now) {
    return new L7Rule(id, policyId, L7RuleType.PATH, L7CompareType.EQUAL_TO, "", "", false, true, List.of(), version,
        version, now, now);
  }

  @Override
  public String name() {
    return "";
  }

  @Override
  public Kind kind() {
    return Kind.L7_RULE;
  }

  @Override
  public String parentId() {
    return policyId;
  }

  @Override
  public void check(Check c, Child before) {
    boolean keyed = type == L7RuleType.HEADER || type == L7RuleType.COOKIE;
    if (keyed) {
      c.rule(!key.isEmpty(), "l7rule.key", "is required with type " + type + " (the " + type.name().toLowerCase()
          + "'s name)");
      c.rule(key.isEmpty() || Validation.isToken(key), "l7rule.key",
          "must be a " + type.name().toLowerCase() + " name (letters, digits and !#$%&'*+.^_`|~-), got '" + key + "'");
    } else {
      c.rule(key.isEmpty(), "l7rule.key", "applies to HEADER and COOKIE rules only, not " + type);
    }
    c.rule(!value.isEmpty(), "l7rule.value", "is required");
    Validation.text(c, "l7rule.value", value, MAX_VALUE);
    c.rule(type != L7RuleType.FILE_TYPE || compareType == L7CompareType.EQUAL_TO
        || compareType == L7CompareType.REGEX, "l7rule.compare_type",
        "a FILE_TYPE rule compares with EQUAL_TO or REGEX, got " + compareType);
    if (compareType == L7CompareType.REGEX && !c.failed()) {
      try {
        Pattern.compile(value);
      } catch (PatternSyntaxException e) {
        c.rule(false, "l7rule.value", "is not a valid regular expression: " + e.getDescription() + " near index "
            + e.getIndex() + " of '" + value + "'");
      }
    }
  }

  public record Patch(
      L7RuleType type,
      L7CompareType compareType,
      String key,
      String value,
      Boolean invert,
      Boolean adminStateUp,
      List<String> tags)
      implements ChildPatch {
    public static final Patch EMPTY = new Patch(null, null, null, null, null, null, null);

    @Override
    public Kind kind() {
      return Kind.L7_RULE;
    }

    @Override
    public List<String> missingForCreate() {
      return ChildPatch.missing(Kind.L7_RULE, "type", type, "compare_type", compareType, "value", value);
    }

    /** A type without a key drops the old key unless this patch sets one. */
    @Override
    public Child applyTo(Child base, long version, Instant now) {
      var b = (L7Rule) base;
      L7RuleType t = or(type, b.type());
      String k = key != null ? key : (t == L7RuleType.HEADER || t == L7RuleType.COOKIE) ? b.key() : "";
      return new L7Rule(b.id(), b.policyId(), t, or(compareType, b.compareType()), k, or(value, b.value()),
          or(invert, b.invert()), or(adminStateUp, b.adminStateUp()), or(tags, b.tags()), version, b.createdVersion(),
          b.createdAt(), now);
    }
  }
}
