package io.fiberlb.cli;

import io.fiberlb.api.v1.AuditEvent;
import io.fiberlb.api.v1.AuditServiceClient;
import io.fiberlb.api.v1.DiffLoadBalancerRequest;
import io.fiberlb.api.v1.GetLoadBalancerAtRequest;
import io.fiberlb.api.v1.HistoryServiceClient;
import io.fiberlb.api.v1.RollbackLoadBalancerRequest;
import io.fiberlb.api.v1.ListEventsRequest;
import io.fiberlb.api.v1.ListEventsResponse;
import io.fiberlb.api.v1.PointInTime;
import io.fiberlb.api.v1.ExportEventsRequest;
import io.fiberlb.api.v1.StreamEventsRequest;
import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fiberlb audit ...}: the history of load balancers, read from the event journal: their events (also
 * live), a load balancer as it was at a version or a time, what changed between two points, and an export of a
 * whole project's events as JSON Lines.
 */
@Command(name = "audit",
    description = {
        "Read the history of load balancers: who changed what and when, and how they were before; roll back.",
        "",
        "From the event journal: the events of a load balancer (also as they happen), what it looked like at any"
            + " version or moment, what changed between two points, and all of a project's events as JSON Lines."
            + " Deleted load balancers keep their history.",
        "",
        "Times (--since, --until, --time, --from, --to) are ISO-8601 with a zone, like 2026-11-21T03:12:00Z or"
            + " 2026-11-21T04:12:00+01:00, or how long ago, like 10m, 2h, 1d. --from and --to also take a version"
            + " number, like 12: the load balancer's version field after a change."},
    footerHeading = "%nExamples:%n",
    footer = {
        "  fiberlb audit events --lb LB                    # its whole history",
        "  fiberlb audit events --lb LB --since 2h --type ListenerUpdated",
        "  fiberlb audit events --lb LB --actor local:$USER --json",
        "  fiberlb audit events --lb LB --since 0s --follow  # new events as they happen",
        "  fiberlb audit at --lb LB --version 12",
        "  fiberlb audit at --lb LB --time 2026-11-21T03:12:00Z",
        "  fiberlb audit diff --lb LB --from 12            # from version 12 to now",
        "  fiberlb audit diff --lb LB --from 1d --to 1h",
        "  fiberlb audit export --project P > events.jsonl",
        "  fiberlb audit rollback --lb LB --to-version 12 --dry-run  # what it would change",
        "  fiberlb audit rollback --lb LB --to-time 2026-11-21T03:12:00Z"})
final class AuditCommands extends ResourceCommands<AuditServiceClient> {
  AuditCommands() {
    super("load balancer", AuditServiceClient::create, Output.EVENT_COLUMNS);
  }

  /** {@code --lb}: the load balancer whose history is read. */
  static final class Target {
    @Option(names = "--lb", order = 0, required = true, paramLabel = "LB",
        description = "Id or name of the load balancer; a deleted one still has its history (give its id: names"
            + " are looked up among the load balancers that exist).")
    String id;
  }

  // ------------------------------------------------------------------ events

  /** The flags of {@code audit events}, apart from --lb. */
  static final class EventFilter {
    @Option(names = "--since", order = 10, paramLabel = "TIME", converter = Flags.TimeValue.class,
        description = "Only events at or after this time: ISO-8601 like 2026-11-21T03:12:00Z, or how long ago,"
            + " like 10m, 2h. Default: from the first event.")
    Instant since;

    @Option(names = "--until", order = 11, paramLabel = "TIME", converter = Flags.TimeValue.class,
        description = "Only events at or before this time, written like --since. Not with --follow."
            + " Default: to the last event.")
    Instant until;

    @Option(names = "--type", order = 12, split = ",", paramLabel = "TYPE",
        description = "Only events of these types, repeatable or comma separated: LoadBalancerCreated,"
            + " LoadBalancerUpdated, LoadBalancerDeleted, ListenerCreated, PoolUpdated, BackendDeleted,"
            + " HealthCheckCreated, ... (as the TYPE column shows them). Default: every type.")
    List<String> types;

    @Option(names = "--actor", order = 13, paramLabel = "PRINCIPAL",
        description = "Only events caused by this principal: local:USER (the OS user name of whoever ran the CLI"
            + " against a server in local mode), token:NAME, jwt:..., cert:..., or system for what the system did"
            + " by itself. Default: anyone.")
    String actor;

    @Option(names = "--follow", order = 14,
        description = "After the events so far, keep printing new ones as they are written, until Ctrl-C."
            + " With --since 0s: only new ones.")
    boolean follow;

    @Option(names = "--page-size", order = 92, paramLabel = "N",
        description = "Fetch the events N at a time, 1..1000; all of them are printed either way. Not with"
            + " --follow. Default: the server's (50).")
    int pageSize;

    List<String> types() {
      return types == null ? List.of() : Flags.entries(types);
    }

    /** The ListEvents request for the first page; usage mistakes reported before anything is sent. */
    ListEventsRequest.Builder request(String lbId) {
      if (follow && until != null) throw new Flags.UsageException("--until cannot be used with --follow");
      if (follow && pageSize != 0) throw new Flags.UsageException("--page-size cannot be used with --follow");
      if (since != null && until != null && since.isAfter(until)) {
        throw new Flags.UsageException("--since " + since + " is after --until " + until);
      }
      var b = ListEventsRequest.newBuilder().setLoadBalancerId(lbId).addAllEventTypes(types())
          .setPageSize(pageSize);
      Flags.set(actor, b::setActor);
      if (since != null) b.setFromTime(Flags.timestamp(since));
      if (until != null) b.setToTime(Flags.timestamp(until));
      return b;
    }

    /** With --follow the stream is not filtered by type and actor on the server, so it is here. */
    Predicate<AuditEvent> wanted() {
      List<String> only = types();
      return e -> (only.isEmpty() || only.contains(e.getType())) && (actor == null || actor.equals(e.getActor()));
    }
  }

  @Command(name = "events",
      description = {
          "List the events of a load balancer, oldest first, or follow new ones as they are written.",
          "Events are every change made to it or its listeners, pools, backends and health checks, and what the"
              + " system did by itself. Without --follow, every page is fetched and printed.",
          "Columns: time (UTC), sequence_nr (the event's place in the load balancer's journal), version (of the"
              + " load balancer after it), type, resource (kind/id, ids shortened to " + Output.SHORT_ID
              + " characters), actor, request_id, reason (why the system did something). -c picks AuditEvent"
              + " fields instead (time, type, actor, reason, details_json...).",
          "With -f json (--json), one JSON object per event per line (JSON Lines), every field and ids whole. Its"
              + " details_json is the event as the journal recorded it: its @type can be coarser than TYPE"
              + " (BackendHealthChanged for BackendDown and BackendUp; ChildCreated for ListenerCreated...).",
          "No events: nothing on stdout, 'no events' on stderr."})
  int events(@Mixin Target target, @Mixin EventFilter filter) {
    filter.request("");
    String id = lbId(target.id);
    ListEventsRequest.Builder request = filter.request(id);
    Output output = cli.output();
    if (filter.follow) {
      var stream = StreamEventsRequest.newBuilder().setLoadBalancerId(id).setFollow(true);
      if (request.hasFromTime()) stream.setFromTime(request.getFromTime());
      Predicate<AuditEvent> wanted = filter.wanted();
      cli.err().println("following the events of load balancer " + id + "; Ctrl-C to stop");
      cli.err().flush();
      stream(stream.build(), e -> !wanted.test(e) || output.event(e));
      output.eventsDone();
      return 0;
    }
    String token = "";
    do {
      ListEventsResponse page = call(request.setPageToken(token).build(), AuditServiceClient::listEvents);
      for (AuditEvent e : page.getEventsList()) {
        if (!output.event(e)) return 0; // the reader has gone (| head): nobody to tell
      }
      String next = page.getNextPageToken();
      if (!next.isEmpty() && next.equals(token)) {
        throw new IllegalStateException("the server answered the same page token twice");
      }
      token = next;
    } while (!token.isEmpty());
    output.eventsDone();
    return 0;
  }

  // ------------------------------------------------------------------ at

  @Command(name = "at",
      description = {
          "Show a load balancer as it was at a version or a time.",
          "It is rebuilt from its events and shown in the layout of 'fiberlb lb status': its listeners, and its"
              + " pools with their health check and backends. Give --time or --version; without either: now.",
          "Each line: kind, id, \"name\", details, provisioning status/operating status (as recorded then)."
              + " Says so when the load balancer was already deleted at that point."})
  int at(@Mixin Target target,
      @Option(names = "--time", order = 10, paramLabel = "TIME", converter = Flags.TimeValue.class,
          description = "As it was at this time: ISO-8601 like 2026-11-21T03:12:00Z, or how long ago, like 2h.")
      Instant time,
      @Option(names = "--version", order = 11, paramLabel = "N",
          description = "As it was at this version of the load balancer (its version field), 1 or more."
              + " Default: now.")
      Long version) {
    if (time != null && version != null) throw new Flags.UsageException("give --time or --version, not both");
    if (version != null && version < 1) {
      throw new Flags.UsageException("--version: '" + version + "' is not a version: versions count from 1");
    }
    var request = GetLoadBalancerAtRequest.newBuilder().setId(lbId(target.id));
    if (time != null) request.setAt(PointInTime.newBuilder().setTime(Flags.timestamp(time)));
    if (version != null) request.setAt(PointInTime.newBuilder().setVersion(version));
    cli.output().snapshot(call(request.build(), AuditServiceClient::getLoadBalancerAt));
    return 0;
  }

  // ------------------------------------------------------------------ diff

  @Command(name = "diff",
      description = {
          "Show what changed in a load balancer between two versions or times.",
          "Field by field and child by child (the load balancer's version and timestamps left out).",
          "First line: from version X to version Y. Then one line per change:",
          "  + KIND ID \"name\"                  added",
          "  - KIND ID \"name\"                  removed",
          "  ~ KIND ID FIELD: BEFORE -> AFTER  changed (values as JSON)",
          "or 'no changes'. Ids are shortened to " + Output.SHORT_ID + " characters; --json has them whole."})
  int diff(@Mixin Target target,
      @Option(names = "--from", order = 10, required = true, paramLabel = "POINT", converter = Flags.PointValue.class,
          description = "From this point: a version number like 12, or a time: ISO-8601 like"
              + " 2026-11-21T03:12:00Z, or how long ago, like 1d.")
      PointInTime from,
      @Option(names = "--to", order = 11, paramLabel = "POINT", converter = Flags.PointValue.class,
          description = "To this point, written like --from. Default: now (the latest version).")
      PointInTime to) {
    var request = DiffLoadBalancerRequest.newBuilder().setId(lbId(target.id)).setFrom(from);
    Flags.set(to, request::setTo);
    cli.output().diff(call(request.build(), AuditServiceClient::diffLoadBalancer));
    return 0;
  }

  // ------------------------------------------------------------------ rollback

  @Command(name = "rollback",
      description = {
          "Bring a load balancer back to its configuration at an earlier version or time.",
          "Written as one new version (one LoadBalancerRolledBack event): history is never rewritten, and a rollback"
              + " can be rolled back. The past configuration is checked against today: quotas, its name, every"
              + " rule; what cannot be had today is refused naming the field and what holds it, and nothing is"
              + " written. Health is not rolled back. On a deleted load balancer it restores it to that point"
              + " (see 'fiberlb lb restore').",
          "Prints the versions, then the changes as 'audit diff' prints them; --dry-run prints the same and writes"
              + " nothing. docs/history.md says what a rollback does and does not undo."})
  int rollback(@Mixin Target lb,
      @Option(names = "--to-version", order = 10, paramLabel = "N",
          description = "Back to the configuration of this version (its version field), 1 or more.")
      Long toVersion,
      @Option(names = "--to-time", order = 11, paramLabel = "TIME", converter = Flags.TimeValue.class,
          description = "Back to the configuration it had at this time: ISO-8601 like 2026-11-21T03:12:00Z, or how"
              + " long ago, like 2h.")
      Instant toTime,
      @Option(names = "--dry-run", order = 12,
          description = "Print what the rollback would do (the changes and the new version) and write nothing.")
      boolean dryRun,
      @Mixin Flags.Precondition precondition) {
    if ((toVersion == null) == (toTime == null)) throw new Flags.UsageException("give --to-version or --to-time");
    if (toVersion != null && toVersion < 1) {
      throw new Flags.UsageException("--to-version: '" + toVersion + "' is not a version: versions count from 1");
    }
    var request = RollbackLoadBalancerRequest.newBuilder().setLoadBalancerId(lb.id).setDryRun(dryRun);
    if (toVersion != null) request.setToVersion(toVersion);
    if (toTime != null) request.setToTime(Flags.timestamp(toTime));
    Flags.set(precondition.expectedVersion, request::setExpectedVersion);
    var history = cli.api().client(HistoryServiceClient::create);
    cli.output().rolledBack("rolled back", lb.id, cli.api().call(history.rollbackLoadBalancer(), request.build()));
    return 0;
  }

  // ------------------------------------------------------------------ export

  /** How often an export flushes and checks that stdout still has a reader, in events. */
  private static final int EXPORT_CHECK_EVERY = 10_000;

  @Command(name = "export",
      description = {
          "Write every event of a project to stdout as JSON Lines, to keep or to load elsewhere.",
          "The project is --project; its events are those of all its load balancers, deleted ones too, in journal"
              + " order, one JSON object per line (proto field names, every field). Nothing else goes to stdout;"
              + " the count goes to stderr at the end.",
          "Each event's offset is its place in the journal: give the last one as --from-offset to export only"
              + " what came after it."})
  int export(
      @Option(names = "--since", order = 10, paramLabel = "TIME", converter = Flags.TimeValue.class,
          description = "Only events at or after this time: ISO-8601 like 2026-11-21T03:12:00Z, or how long ago,"
              + " like 1d. Default: from the first event.")
      Instant since,
      @Option(names = "--from-offset", order = 11, paramLabel = "OFFSET",
          description = "Only events after this offset (the offset field of the last event of an earlier"
              + " export). Default: 0, from the beginning.")
      long fromOffset) {
    if (fromOffset < 0) throw new Flags.UsageException("--from-offset: must be 0 or more, got " + fromOffset);
    var request = ExportEventsRequest.newBuilder().setFromOffset(fromOffset);
    if (since != null) request.setFromTime(Flags.timestamp(since));
    PrintWriter stdout = cli.spec.commandLine().getOut();
    stdout.flush();
    // Not flushed per line: a large export is written in big blocks, and never held whole in memory. The lines
    // arrive as UTF-8 and go out as the same bytes when stdout is the process's own.
    OutputStream bytes = cli.stdoutBytes == null ? null : new BufferedOutputStream(cli.stdoutBytes, 1 << 16);
    var text = new BufferedWriter(stdout, 1 << 16);
    Flushable out = bytes != null ? bytes : text;
    long[] count = {0};
    long[] lastOffset = {fromOffset};
    boolean[] closed = {false};
    try {
      // The server renders the lines (ExportEvents), many events a message: here they are only copied out.
      if (streamingClient == null) streamingClient = cli.api().streamingClient(AuditServiceClient::create);
      cli.api().stream(streamingClient.exportEvents(), request.build(), chunk -> {
        try {
          if (bytes != null) chunk.getJsonLines().writeTo(bytes);
          else text.write(chunk.getJsonLines().toStringUtf8());
          lastOffset[0] = chunk.getLastOffset();
          long before = count[0];
          count[0] += chunk.getEvents();
          if (count[0] / EXPORT_CHECK_EVERY != before / EXPORT_CHECK_EVERY) {
            out.flush();
            closed[0] = Output.closed(stdout);
          }
          return !closed[0];
        } catch (IOException x) {
          throw new UncheckedIOException(x);
        }
      });
    } catch (RuntimeException failed) {
      finish(out, stdout);
      if (count[0] > 0) {
        cli.err().println("exported " + events(count[0]) + " before the error; add --from-offset " + lastOffset[0]
            + " to export the rest");
        cli.err().flush();
      }
      throw failed;
    }
    finish(out, stdout);
    if (closed[0] || Output.closed(stdout)) {
      cli.err().println("error: stdout was closed after " + events(count[0]) + "; the export is incomplete");
      cli.err().flush();
      return 1;
    }
    cli.err().println("exported " + events(count[0]));
    cli.err().flush();
    return 0;
  }

  private static void finish(Flushable out, PrintWriter stdout) {
    try {
      out.flush();
    } catch (IOException ignored) {
      // the PrintWriter underneath never throws; checkError tells
    }
    stdout.flush();
  }

  private static String events(long n) {
    return n + (n == 1 ? " event" : " events");
  }

  // ------------------------------------------------------------------ plumbing

  private AuditServiceClient streamingClient;

  /** A server-streaming call of the audit service, each event handed to {@code each}; see {@link Api#stream}. */
  private void stream(StreamEventsRequest request, Predicate<AuditEvent> each) {
    if (streamingClient == null) streamingClient = cli.api().streamingClient(AuditServiceClient::create);
    cli.api().stream(streamingClient.streamEvents(), request, each);
  }
}
