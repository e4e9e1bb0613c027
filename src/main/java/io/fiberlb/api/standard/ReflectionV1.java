package io.fiberlb.api.standard;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.function.Function;

/**
 * Server reflection as {@code grpc.reflection.v1} as well as {@code v1alpha}. pekko-grpc 1.1 serves only v1alpha,
 * and newer tools (grpcurl, Postman) ask v1 first. The two protocols are the same messages, field for field (v1 is
 * v1alpha renamed when it became stable), so a v1 call is handed to pekko-grpc's v1alpha service under its path:
 * one implementation answers both.
 */
public final class ReflectionV1 {
  static final String V1 = "/grpc.reflection.v1.ServerReflection/";
  static final String V1ALPHA = "/grpc.reflection.v1alpha.ServerReflection/";

  private ReflectionV1() {}

  public static Function<HttpRequest, CompletionStage<HttpResponse>> alias(
      Function<HttpRequest, CompletionStage<HttpResponse>> handler) {
    return req -> {
      String path = req.getUri().path();
      if (!path.startsWith(V1)) return handler.apply(req);
      return handler.apply(req.withUri(req.getUri().path(V1ALPHA + path.substring(V1.length()))));
    };
  }
}
