package io.fiberlb.it;

import io.fiberlb.FiberLb;
import java.nio.file.Path;
import java.util.Map;

/** A FiberLB node in a JVM of its own, so a test can kill it with SIGKILL. Args: data dir, VIP range. */
public final class ServerProcess {
  public static void main(String[] args) {
    FiberLb.Node node = FiberLb.start(TestServer.config(Path.of(args[0]), Map.of("fiberlb.vip-range", args[1])));
    node.system().getWhenTerminated().toCompletableFuture().join();
  }
}
