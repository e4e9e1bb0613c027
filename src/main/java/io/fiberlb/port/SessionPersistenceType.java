package io.fiberlb.port;

/**
 * Whether a pool keeps a client on the backend it had: not at all, by the client's address, by a cookie FiberLB sets
 * (HTTP_COOKIE) or by an application cookie it follows (APP_COOKIE, named by {@link DesiredPool#cookieName()}). The
 * cookie kinds apply to HTTP and TERMINATED_HTTPS listeners only.
 */
public enum SessionPersistenceType { NONE, SOURCE_IP, HTTP_COOKIE, APP_COOKIE }
