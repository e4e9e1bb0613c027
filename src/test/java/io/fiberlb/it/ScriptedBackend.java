package io.fiberlb.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/** A backend on an ephemeral loopback port that runs {@code serve} for each connection on a thread of its own. */
public final class ScriptedBackend implements AutoCloseable {
  public interface Script {
    void serve(Socket c) throws IOException;
  }

  final ServerSocket server;
  final List<Socket> accepted = java.util.Collections.synchronizedList(new ArrayList<>());

  public ScriptedBackend(Script script) throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket c = server.accept();
          accepted.add(c);
          Thread h = new Thread(() -> {
            try (c) {
              script.serve(c);
            } catch (IOException ignored) {
              // the proxy or the test closed it
            }
          }, "scripted-conn");
          h.setDaemon(true);
          h.start();
        } catch (IOException e) {
          return;
        }
      }
    }, "scripted-backend");
    t.setDaemon(true);
    t.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  @Override
  public void close() throws IOException {
    server.close();
    synchronized (accepted) {
      for (Socket c : accepted) c.close();
    }
  }
}
