package io.fiberlb.audit;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.fiberlb.api.ProtoMapper;
import io.fiberlb.api.v1.Change;
import io.fiberlb.api.v1.LoadBalancerSnapshot;
import io.fiberlb.controlplane.LoadBalancerEvent;
import io.fiberlb.controlplane.LoadBalancerState;
import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.LoadBalancerState.Deleted;
import io.fiberlb.controlplane.Views.ChildView;
import io.fiberlb.controlplane.Views.LoadBalancerView;
import io.fiberlb.controlplane.model.Child;
import io.fiberlb.controlplane.model.Enums;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reading a load balancer's history: names for events, the state at a point rebuilt with the entity's own event
 * handler ({@link LoadBalancerState#apply}), and differences between two states. Pure: no actors, no database.
 */
public final class History {
  private History() {}

  /** Fields that change with every write and say nothing about what changed. */
  private static final Set<String> BOOKKEEPING =
      Set.of("version", "created_at", "updated_at", "provisioning_status", "operating_status", "load_balancer_id");
  private static final JsonFormat.Printer JSON = JsonFormat.printer().preservingProtoFieldNames()
      .omittingInsignificantWhitespace().includingDefaultValueFields();

  /** The tree version a state stands at: what Get showed then. 0 before the load balancer existed. */
  public static long version(LoadBalancerState s) {
    if (s instanceof Active a) return a.version();
    if (s instanceof Deleted d) return d.version();
    return 0;
  }

  /** The type an auditor reads: LoadBalancerCreated, ListenerUpdated, PoolDeleted, ... */
  public static String type(LoadBalancerEvent e) {
    if (e instanceof LoadBalancerEvent.ChildCreated c) return c.child().kind().typeName + "Created";
    if (e instanceof LoadBalancerEvent.ChildUpdated c) return c.child().kind().typeName + "Updated";
    if (e instanceof LoadBalancerEvent.ChildDeleted c) return c.kind().typeName + "Deleted";
    if (e instanceof LoadBalancerEvent.BackendHealthChanged h) return h.up() ? "BackendUp" : "BackendDown";
    return "LoadBalancer" + e.getClass().getSimpleName();
  }

  public static String resourceKind(LoadBalancerEvent e) {
    if (e instanceof LoadBalancerEvent.ChildCreated c) return c.child().kind().field;
    if (e instanceof LoadBalancerEvent.ChildUpdated c) return c.child().kind().field;
    if (e instanceof LoadBalancerEvent.ChildDeleted c) return c.kind().field;
    if (e instanceof LoadBalancerEvent.BackendHealthChanged) return "backend";
    return "load_balancer";
  }

  public static String resourceId(LoadBalancerEvent e, String lbId) {
    if (e instanceof LoadBalancerEvent.ChildCreated c) return c.child().id();
    if (e instanceof LoadBalancerEvent.ChildUpdated c) return c.child().id();
    if (e instanceof LoadBalancerEvent.ChildDeleted c) return c.id();
    if (e instanceof LoadBalancerEvent.BackendHealthChanged h) return h.backendId();
    return lbId;
  }

  /** The whole load balancer as Get and the child Gets returned it in this state. */
  public static LoadBalancerSnapshot snapshot(LoadBalancerState s, long sequenceNr) {
    var out = LoadBalancerSnapshot.newBuilder().setSequenceNr(sequenceNr);
    if (s instanceof Active a) {
      String id = a.info().id();
      out.setLoadBalancer(ProtoMapper.loadBalancer(a.view()));
      for (Child c : a.children().values()) {
        ChildView v = a.view(c);
        switch (c.kind()) {
          case LISTENER -> out.addListeners(ProtoMapper.listener(id, v));
          case POOL -> out.addPools(ProtoMapper.pool(id, v));
          case BACKEND -> out.addBackends(ProtoMapper.backend(id, v));
          case HEALTH_CHECK -> out.addHealthChecks(ProtoMapper.healthCheck(id, v));
        }
      }
    } else if (s instanceof Deleted d) {
      out.setDeleted(true).setLoadBalancer(ProtoMapper.loadBalancer(new LoadBalancerView(d.info(), d.version(),
          Enums.ProvisioningStatus.DELETED, Enums.OperatingStatus.OFFLINE)));
    }
    return out.build();
  }

  /**
   * What changed from {@code from} to {@code to}: the load balancer's own fields, then children added, removed
   * or changed, field by field, compared on the API's messages so that fields carry their API names.
   */
  public static List<Change> diff(LoadBalancerSnapshot from, LoadBalancerSnapshot to) {
    var out = new ArrayList<Change>();
    if (!from.getDeleted() && to.getDeleted()) {
      out.add(Change.newBuilder().setType(Change.Type.REMOVED).setResourceKind("load_balancer")
          .setResourceId(from.getLoadBalancer().getId()).setBefore(json(from.getLoadBalancer())).build());
    } else {
      fields(out, "load_balancer", from.getLoadBalancer().getId(), from.getLoadBalancer(), to.getLoadBalancer());
    }
    children(out, "listener", byId(from.getListenersList()), byId(to.getListenersList()));
    children(out, "pool", byId(from.getPoolsList()), byId(to.getPoolsList()));
    children(out, "backend", byId(from.getBackendsList()), byId(to.getBackendsList()));
    children(out, "health_check", byId(from.getHealthChecksList()), byId(to.getHealthChecksList()));
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

  static String json(Message m) {
    try {
      return JSON.print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
