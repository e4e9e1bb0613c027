package io.fiberlb.controlplane.model;

import io.fiberlb.CborSerializable;

/**
 * Why a command was refused. The code is what a caller branches on; the message names the field and the rule
 * ({@code listener.protocol_port: must be 1..65535, got 70000}). The API maps each code to one gRPC status.
 */
public record Rejection(Code code, String message) implements CborSerializable {
  public enum Code { INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED, RESOURCE_EXHAUSTED, UNAVAILABLE }

  public static Rejection invalid(String message) {
    return new Rejection(Code.INVALID_ARGUMENT, message);
  }

  public static Rejection notFound(String message) {
    return new Rejection(Code.NOT_FOUND, message);
  }

  public static Rejection exists(String message) {
    return new Rejection(Code.ALREADY_EXISTS, message);
  }

  public static Rejection precondition(String message) {
    return new Rejection(Code.FAILED_PRECONDITION, message);
  }

  public static Rejection aborted(String message) {
    return new Rejection(Code.ABORTED, message);
  }

  public static Rejection exhausted(String message) {
    return new Rejection(Code.RESOURCE_EXHAUSTED, message);
  }

  public static Rejection unavailable(String message) {
    return new Rejection(Code.UNAVAILABLE, message);
  }
}
