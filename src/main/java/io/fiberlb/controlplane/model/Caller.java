package io.fiberlb.controlplane.model;

import io.fiberlb.CborSerializable;

/**
 * Who sent a command: the tenant it acts for, the principal, where from, and the request id that ties the command
 * to the events it causes.
 */
public record Caller(String orgId, String projectId, String principal, String peer, String requestId)
    implements CborSerializable {

  /** The caller for changes the system makes by itself (cleanup, recovery). */
  public static Caller system(String reason) {
    return new Caller("", "", "system", "", reason);
  }

  public boolean owns(LoadBalancerInfo lb) {
    return orgId.equals(lb.orgId()) && projectId.equals(lb.projectId());
  }
}
