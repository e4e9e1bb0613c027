package io.fiberlb.port;

/** How a health check probes a backend: a TCP connect, or an HTTP request and its status line. */
public enum HealthCheckType { TCP, HTTP }
