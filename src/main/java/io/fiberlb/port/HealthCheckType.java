package io.fiberlb.port;

/**
 * How a health check probes a backend: a TCP connect, an HTTP or HTTPS request and its status line, a TLS handshake's
 * ServerHello (TLS_HELLO), or a UDP datagram (ICMP port unreachable fails it).
 */
public enum HealthCheckType { TCP, HTTP, HTTPS, TLS_HELLO, UDP_CONNECT }
