package io.fiberlb.cli;

import com.google.protobuf.Message;
import com.google.protobuf.Descriptors.FieldDescriptor;
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

  /** Prints a resource (create, get, update). */
  int show(Message resource) {
    cli.output().resource(resource);
    return 0;
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
    if (!next.isEmpty() && !cli.json) {
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
    FieldDescriptor f = answer.getDescriptorForType().findFieldByName("dry_run");
    if (f == null || !answer.hasField(f)) return show(answer);
    return showDryRun(answer, (DryRun) answer.getField(f));
  }

  /** With {@code --json} the whole answer (the resource as it would be, and dry_run); else {@link DryRunOutput}. */
  private int showDryRun(Message answer, DryRun d) {
    if (cli.json) return show(answer);
    var out = cli.spec.commandLine().getOut();
    out.print(DryRunOutput.text(d));
    out.flush();
    return 0;
  }

  List<String> columns() {
    return columns;
  }
}
