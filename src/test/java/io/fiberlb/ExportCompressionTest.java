package io.fiberlb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.japi.function.Function;
import org.junit.jupiter.api.Test;

/**
 * pekko-grpc compresses a reply when the request's {@code grpc-accept-encoding} allows it: the export's requests
 * reach it without that header (so it answers uncompressed) unless compression is configured, and nothing else
 * is touched.
 */
class ExportCompressionTest {
  private final List<HttpRequest> seen = new ArrayList<>();
  private final Function<HttpRequest, CompletionStage<HttpResponse>> inner = req -> {
    seen.add(req);
    return CompletableFuture.completedFuture(HttpResponse.create());
  };

  private static HttpRequest call(String path) {
    return HttpRequest.POST(path).addHeader(RawHeader.create("grpc-accept-encoding", "gzip"));
  }

  private boolean acceptsGzip(int i) {
    return seen.get(i).getHeader("grpc-accept-encoding").isPresent();
  }

  @Test
  void theExportIsAskedForUncompressedUnlessConfigured() throws Exception {
    var off = FiberLb.exportCompression(inner, false);
    off.apply(call("/fiberlb.v1.AuditService/ExportEvents"));
    off.apply(call("/fiberlb.v1.AuditService/StreamEvents"));
    var on = FiberLb.exportCompression(inner, true);
    on.apply(call("/fiberlb.v1.AuditService/ExportEvents"));
    assertThat(FiberLb.EXPORT_PATH).isEqualTo("/fiberlb.v1.AuditService/ExportEvents");
    assertThat(acceptsGzip(0)).as("export, compression off").isFalse();
    assertThat(acceptsGzip(1)).as("another call").isTrue();
    assertThat(acceptsGzip(2)).as("export, compression on").isTrue();
  }
}
