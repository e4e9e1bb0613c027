package io.fiberlb.cli;

import com.google.protobuf.Message;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import io.fiberlb.api.v1.CliProto;
import io.fiberlb.api.v1.DeleteResponse;
import io.fiberlb.api.v1.DryRun;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.grpc.GrpcChannel;
import org.apache.pekko.grpc.javadsl.SingleResponseRequestBuilder;
import picocli.CommandLine.ParentCommand;

/**
 * What the five resource command groups share. A group ({@code lb}, {@code listener}, ...) declares its verbs as
 * {@code @Command} methods that build the request and hand the call to {@link #show}, {@link #showList} or
 * {@link #showDeleted}; connecting, headers, waiting, errors and printing all happen here and in {@link Api} and
 * {@link Output}.
 */
abstract class ResourceCommands<C> {
  @ParentCommand Cli cli;

  private final String noun;
  private final BiFunction<GrpcChannel, ClassicActorSystemProvider, C> clientFactory;
  private final List<String> columns;
  private C client;

  /**
   * A kind whose list shows the columns its resource message names in its {@code (fiberlb.v1.table)} option.
   *
   * @param resource the resource's message, e.g. {@code Pool.getDescriptor()}
   */
  ResourceCommands(String noun, BiFunction<GrpcChannel, ClassicActorSystemProvider, C> clientFactory,
      Descriptor resource) {
    this(noun, clientFactory, tableColumns(resource));
  }

  private static List<String> tableColumns(Descriptor resource) {
    List<String> columns = resource.getOptions().getExtension(CliProto.table).getColumnsList();
    for (String c : columns) {
      if (resource.findFieldByName(c) == null) {
        throw new IllegalStateException(resource.getFullName() + "'s table names no field of it: " + c);
      }
    }
    if (columns.isEmpty()) {
      throw new IllegalStateException(resource.getFullName() + " has no (fiberlb.v1.table) option in its .proto file");
    }
    return columns;
  }

  /**
   * @param noun how messages name the kind ("load balancer")
   * @param clientFactory the generated client's {@code create}, e.g. {@code PoolServiceClient::create}
   * @param columns the fields a list shows, in order
   */
  ResourceCommands(String noun, BiFunction<GrpcChannel, ClassicActorSystemProvider, C> clientFactory,
      List<String> columns) {
    this.noun = noun;
    this.clientFactory = clientFactory;
    this.columns = columns;
  }

  /** The service's client, made on first use. */
  C client() {
    if (client == null) client = cli.api().client(clientFactory);
    return client;
  }

  /**
   * Makes the call, e.g. {@code call(request, PoolServiceClient::getPool)}, as the configured org and project; a
   * failure becomes {@link Api.CallFailed}. The request comes first so that it is complete, and any usage mistake
   * in it reported, before a connection is made.
   */
  <Q, A> A call(Q request, Function<C, SingleResponseRequestBuilder<Q, A>> rpc) {
    return cli.api().call(rpc.apply(client()), request);
  }

  /** An update's fields; one that changes nothing is refused, as it is almost always a forgotten flag. */
  static <S extends Message> S changes(S spec) {
    if (spec.getAllFields().isEmpty()) {
      throw new Flags.UsageException("nothing to change: give at least one field to set (see --help)");
    }
    return spec;
  }

  /** A Spec with the other children its flags name (a pool, a health check) named by id: see {@link SpecFlags}. */
  <S extends Message> S resolved(S spec, String lbId) {
    return SpecFlags.resolve(spec, (kind, ref) -> childId(kind, lbId, ref));
  }

  /** Prints a resource (create, get, update). */
  int show(Message resource) {
    cli.output().resource(resource);
    return 0;
  }

  /**
   * Prints what a create or update answered; with --wait, first waits until load balancer {@code lbId} has
   * nothing pending and prints the resource as {@code again} reads it then, failing if it ended in ERROR.
   */
  int showWritten(Message resource, String lbId, Waiting.Options wait, java.util.function.Supplier<Message> again) {
    if (!wait.wait || isDryRun(resource)) return showWritten(resource);
    new Waiting(cli.api(), wait).untilSettled(lbId);
    Message now = again.get();
    show(now);
    String failure = Waiting.failure(now);
    if (failure != null) {
      throw new Waiting.EndedInError(noun + " " + Output.Pages.id(now) + ": " + failure);
    }
    return 0;
  }

  /**
   * Prints what a delete did; with --wait, first waits until {@code again} answers NOT_FOUND (or DELETED) and,
   * for a child, until its load balancer {@code lbId} has nothing pending.
   */
  int showDeleted(String id, DeleteResponse reply, String lbId, Waiting.Options wait,
      java.util.function.Supplier<Message> again) {
    if (wait.wait && !reply.hasDryRun()) {
      var waiting = new Waiting(cli.api(), wait);
      waiting.untilGone(again, noun + " " + id);
      if (lbId != null) waiting.untilSettled(lbId);
    }
    return showDeleted(id, reply);
  }

  /** The id of the load balancer {@code ref} names: an id, or its name in the project. */
  String lbId(String ref) {
    return cli.names().loadBalancer(ref);
  }

  /** The id of a child of load balancer {@code lbId}: an id, or its name in the load balancer; null, '' kept. */
  String childId(Names.Kind kind, String lbId, String ref) {
    return cli.names().child(kind, lbId, ref);
  }

  /** One page of a list, fetched with the given page size and token. */
  interface Pager<R extends Message> {
    R page(int pageSize, String pageToken);
  }

  /** Fetches the page asked for, or with {@code --all} every page, and prints it. */
  <R extends Message> int showList(Flags.Paging paging, Pager<R> pager) {
    R reply = pager.page(paging.pageSize, paging.pageToken);
    if (paging.all) reply = Output.Pages.all(reply, token -> pager.page(paging.pageSize, token));
    cli.output().list(reply, columns);
    String next = Output.Pages.nextToken(reply);
    if (!next.isEmpty()) {
      cli.err().println("more: add --page-token " + next + " for the next page, or --all for every page");
      cli.err().flush();
    }
    return 0;
  }

  /** Prints what a delete did, or with {@code --dry-run} what it would do. */
  int showDeleted(String id, DeleteResponse reply) {
    if (reply.hasDryRun()) return showDryRun(reply, reply.getDryRun());
    cli.output().deleted(noun, id, reply);
    return 0;
  }

  /** Prints what a create or update did, or with {@code --dry-run} what it would do. */
  int showWritten(Message answer) {
    if (!isDryRun(answer)) return show(answer);
    return showDryRun(answer, (DryRun) answer.getField(answer.getDescriptorForType().findFieldByName("dry_run")));
  }

  /** Whether a create's or update's answer is a dry run's (nothing was written, nothing to wait for). */
  private static boolean isDryRun(Message answer) {
    FieldDescriptor f = answer.getDescriptorForType().findFieldByName("dry_run");
    return f != null && answer.hasField(f);
  }

  /**
   * With -f json, yaml or value the whole answer (the resource as it would be, and dry_run); else
   * {@link DryRunOutput}.
   */
  private int showDryRun(Message answer, DryRun d) {
    if (cli.outputOptions.format() != OutputOptions.Format.TABLE) return show(answer);
    var out = cli.spec.commandLine().getOut();
    out.print(DryRunOutput.text(d));
    out.flush();
    return 0;
  }

  List<String> columns() {
    return columns;
  }
}
