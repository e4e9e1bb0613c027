package io.fiberlb.port;

/**
 * What the control plane tells one load balancer's runtime in the data plane: run this, or run nothing.
 * {@link Internal} is for messages the data plane sends its own runtime (health transitions of its monitors).
 */
public sealed interface RuntimeCommand
    permits RuntimeCommand.Apply, RuntimeCommand.Remove, RuntimeCommand.Names, RuntimeCommand.Internal {

  /** Converge on {@code desired}: start, reconfigure or stop whatever differs. */
  record Apply(DesiredLoadBalancer desired) implements RuntimeCommand {}

  /**
   * What the load balancer and its listeners are called, for the metrics' info series only: names are not
   * configuration ({@link DesiredLoadBalancer} leaves them out so that a rename reconfigures nothing), so they come
   * apart, after the first Apply and whenever one changes.
   *
   * @param listeners listener id to its name (empty when it has none)
   */
  record Names(String loadBalancer, java.util.Map<String, String> listeners) implements RuntimeCommand {
    public Names {
      listeners = java.util.Map.copyOf(listeners);
    }
  }

  /** The load balancer is gone: stop its listeners (open connections drain) and monitors. */
  record Remove() implements RuntimeCommand {}

  /** A message of the data plane's own, never sent by the control plane. */
  non-sealed interface Internal extends RuntimeCommand {}
}
