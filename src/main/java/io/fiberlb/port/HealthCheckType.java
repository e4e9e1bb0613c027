package io.fiberlb.port;

/**
 * How a health check probes a backend: a TCP connect, an HTTP request and its status line, or a UDP datagram (ICMP
 * port unreachable fails it).
 */
public enum HealthCheckType { TCP, HTTP, UDP_CONNECT }
