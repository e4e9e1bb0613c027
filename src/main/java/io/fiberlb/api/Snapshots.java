package io.fiberlb.api;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.fiberlb.api.v1.Change;
import io.fiberlb.api.v1.LoadBalancerSnapshot;
import io.fiberlb.controlplane.LoadBalancerState;
import io.fiberlb.controlplane.Views;
import io.fiberlb.controlplane.Views.ChildView;
import io.fiberlb.controlplane.Views.TreeView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A whole load balancer in the API's messages, and what changed between two of them, field by field: what the
 * audit answers for points of the history (GetLoadBalancerAt, DiffLoadBalancer) and a write's dry run for the
 * change it would make. One mapping and one diff for both, so a dry run's diff is the diff the audit shows after
 * the real write.
 */
public final class Snapshots {
  private Snapshots() {}

  /** Fields that change with every write and say nothing about what changed. */
  private static final Set<String> BOOKKEEPING = Set.of("version", "created_at", "updated_at", "provisioning_status",
      "operating_status", "operating_status_reason", "load_balancer_id", "dry_run");
  private static final JsonFormat.Printer JSON = JsonFormat.printer().preservingProtoFieldNames()
      .omittingInsignificantWhitespace().includingDefaultValueFields();

  /** The whole load balancer as Get and the child Gets returned it in this state. */
  public static LoadBalancerSnapshot snapshot(LoadBalancerState s, long sequenceNr) {
    return of(Views.tree(s, java.util.Map.of()), sequenceNr);
  }

  /** The load balancer and its children as Get and the child Gets show them. */
  public static LoadBalancerSnapshot of(TreeView tree, long sequenceNr) {
    var out = LoadBalancerSnapshot.newBuilder().setSequenceNr(sequenceNr);
    if (tree.lb() == null) return out.build();
    out.setLoadBalancer(ProtoMapper.loadBalancer(tree.lb())).setDeleted(tree.deleted());
    String id = tree.lb().info().id();
    for (ChildView v : tree.children()) {
      switch (v.child().kind()) {
        case LISTENER -> out.addListeners(ListenerServiceImpl.toWire(id, v));
        case POOL -> out.addPools(PoolServiceImpl.toWire(id, v));
        case BACKEND -> out.addBackends(BackendServiceImpl.toWire(id, v));
        case HEALTH_CHECK -> out.addHealthChecks(HealthCheckServiceImpl.toWire(id, v));
        case L7_POLICY -> out.addL7Policies(L7PolicyServiceImpl.toWire(id, v));
        case L7_RULE -> out.addL7Rules(L7RuleServiceImpl.toWire(id, v));
      }
    }
    return out.build();
  }

  /**
   * What changed from {@code from} to {@code to}: the load balancer's own fields, then children added, removed
   * or changed, field by field, compared on the API's messages so that fields carry their API names.
   */
  public static List<Change> diff(LoadBalancerSnapshot from, LoadBalancerSnapshot to) {
    var out = new ArrayList<Change>();
    if (!from.hasLoadBalancer() && to.hasLoadBalancer() && !to.getDeleted()) {
      out.add(Change.newBuilder().setType(Change.Type.ADDED).setResourceKind("load_balancer")
          .setResourceId(to.getLoadBalancer().getId()).setAfter(json(to.getLoadBalancer())).build());
    } else if (!from.getDeleted() && to.getDeleted()) {
      out.add(Change.newBuilder().setType(Change.Type.REMOVED).setResourceKind("load_balancer")
          .setResourceId(from.getLoadBalancer().getId()).setBefore(json(from.getLoadBalancer())).build());
    } else {
      fields(out, "load_balancer", from.getLoadBalancer().getId(), from.getLoadBalancer(), to.getLoadBalancer());
    }
    children(out, "listener", byId(from.getListenersList()), byId(to.getListenersList()));
    children(out, "pool", byId(from.getPoolsList()), byId(to.getPoolsList()));
    children(out, "backend", byId(from.getBackendsList()), byId(to.getBackendsList()));
    children(out, "health_check", byId(from.getHealthChecksList()), byId(to.getHealthChecksList()));
    children(out, "l7policy", byId(from.getL7PoliciesList()), byId(to.getL7PoliciesList()));
    children(out, "l7rule", byId(from.getL7RulesList()), byId(to.getL7RulesList()));
    return out;
  }

  private static Map<String, Message> byId(List<? extends Message> items) {
    var out = new LinkedHashMap<String, Message>();
    for (Message m : items) out.put((String) m.getField(m.getDescriptorForType().findFieldByName("id")), m);
    return out;
  }

  private static void children(List<Change> out, String kind, Map<String, Message> from, Map<String, Message> to) {
    for (var e : from.entrySet()) {
      Message after = to.get(e.getKey());
      if (after == null) {
        out.add(Change.newBuilder().setType(Change.Type.REMOVED).setResourceKind(kind).setResourceId(e.getKey())
            .setBefore(json(e.getValue())).build());
      } else {
        fields(out, kind, e.getKey(), e.getValue(), after);
      }
    }
    for (var e : to.entrySet()) {
      if (!from.containsKey(e.getKey())) {
        out.add(Change.newBuilder().setType(Change.Type.ADDED).setResourceKind(kind).setResourceId(e.getKey())
            .setAfter(json(e.getValue())).build());
      }
    }
  }

  private static void fields(List<Change> out, String kind, String id, Message before, Message after) {
    if (before.equals(after)) return; // most children of a tree are untouched by one change
    for (FieldDescriptor f : before.getDescriptorForType().getFields()) {
      if (BOOKKEEPING.contains(f.getName())) continue;
      Object a = before.getField(f);
      Object b = after.getField(f);
      if (!a.equals(b)) {
        out.add(Change.newBuilder().setType(Change.Type.CHANGED).setResourceKind(kind).setResourceId(id)
            .setField(f.getName()).setBefore(value(before, f)).setAfter(value(after, f)).build());
      }
    }
  }

  /** One field's value as the API's JSON spells it: 80, "web", "50s", ["a","b"]. */
  private static String value(Message m, FieldDescriptor f) {
    Object v = m.getField(f);
    if (f.isRepeated()) {
      var parts = new ArrayList<String>();
      for (Object item : (List<?>) v) parts.add(scalar(f, item));
      return "[" + String.join(",", parts) + "]";
    }
    return scalar(f, v);
  }

  private static String scalar(FieldDescriptor f, Object v) {
    return switch (f.getJavaType()) {
      case MESSAGE -> json((Message) v);
      case ENUM -> "\"" + ((com.google.protobuf.Descriptors.EnumValueDescriptor) v).getName() + "\"";
      case STRING -> json(com.google.protobuf.StringValue.of((String) v));
      default -> String.valueOf(v);
    };
  }

  public static String json(Message m) {
    try {
      return JSON.print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
