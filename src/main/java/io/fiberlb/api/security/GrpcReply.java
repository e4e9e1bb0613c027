package io.fiberlb.api.security;

import com.google.protobuf.Any;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * A gRPC error answered before any service sees the request: a "trailers-only" response, the status in the HTTP/2
 * headers, as every gRPC client reads it.
 */
final class GrpcReply {
  private GrpcReply() {}

  static HttpResponse error(Status.Code code, String message) {
    return respond(code, message, List.of());
  }

  /** RESOURCE_EXHAUSTED with a {@code google.rpc.RetryInfo} in the status details (grpc-status-details-bin). */
  static HttpResponse retryLater(String message, Duration retryAfter) {
    var delay = com.google.protobuf.Duration.newBuilder().setSeconds(retryAfter.getSeconds())
        .setNanos(retryAfter.getNano());
    var details = com.google.rpc.Status.newBuilder().setCode(Status.Code.RESOURCE_EXHAUSTED.value())
        .setMessage(message).addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(delay).build())).build();
    return respond(Status.Code.RESOURCE_EXHAUSTED, message, List.of(RawHeader.create("grpc-status-details-bin",
        Base64.getEncoder().withoutPadding().encodeToString(details.toByteArray()))));
  }

  private static HttpResponse respond(Status.Code code, String message, List<HttpHeader> extra) {
    List<HttpHeader> headers = new ArrayList<>();
    headers.add(RawHeader.create("grpc-status", Integer.toString(code.value())));
    headers.add(RawHeader.create("grpc-message", percentEncode(message)));
    headers.addAll(extra);
    return HttpResponse.create().withHeaders(headers)
        .withEntity(HttpEntities.create(ContentTypes.create(MediaTypes.applicationBinary("grpc", false)), new byte[0]));
  }

  /** grpc-message is percent-encoded UTF-8 outside printable ASCII (and '%' itself). */
  private static String percentEncode(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '%') out.append((char) c);
      else out.append('%').append(String.format("%02X", c));
    }
    return out.toString();
  }
}
