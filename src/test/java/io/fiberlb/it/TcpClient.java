package io.fiberlb.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A blocking test client of a listener: send, half-close, read to the end. Every call is bounded by timeouts. */
public final class TcpClient {
  private TcpClient() {}

  /** Sends {@code payload}, half-closes, and returns everything the other side sent until it closed. */
  public static byte[] exchange(String host, int port, byte[] payload) throws IOException {
    try (Socket s = connect(host, port)) {
      var reader = new Thread[1];
      var received = new ByteArrayOutputStream();
      var failure = new IOException[1];
      // Read while writing: a large payload would otherwise fill both directions' buffers and stall.
      reader[0] = new Thread(() -> {
        try {
          readAll(s.getInputStream(), received);
        } catch (IOException e) {
          failure[0] = e;
        }
      });
      reader[0].start();
      s.getOutputStream().write(payload);
      s.getOutputStream().flush();
      s.shutdownOutput();
      try {
        reader[0].join(20_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (failure[0] != null) throw failure[0];
      return received.toByteArray();
    }
  }

  /** The backend that served a one-byte exchange: the name after '#'. */
  /**
   * {@link #exchange}, tried again until the listener answers (it binds a moment after its create), within
   * {@code limit}; the answer as text.
   */
  public static String exchangeOnceServing(String host, int port, String payload, java.time.Duration limit) {
    byte[] answer = Poll.until("an answer from " + host + ":" + port, limit, () -> {
      try {
        return exchange(host, port, payload.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      } catch (IOException notYetServing) {
        return new byte[0];
      }
    }, a -> a.length > 0);
    return new String(answer, java.nio.charset.StandardCharsets.UTF_8);
  }

  public static String whoServes(String host, int port) throws IOException {
    String answer = new String(exchange(host, port, new byte[] {'x'}), StandardCharsets.UTF_8);
    int i = answer.indexOf('#');
    if (!answer.startsWith("x") || i < 0) throw new IOException("unexpected answer '" + answer + "'");
    return answer.substring(i + 1);
  }

  public static Socket connect(String host, int port) throws IOException {
    Socket s = new Socket();
    s.setSoTimeout(10_000);
    s.connect(new InetSocketAddress(host, port), 5_000);
    return s;
  }

  static void readAll(InputStream in, ByteArrayOutputStream into) throws IOException {
    byte[] buf = new byte[65536];
    int n;
    while ((n = in.read(buf)) >= 0) into.write(buf, 0, n);
  }
}
