package io.fiberlb.port;

/**
 * A listener's or pool's protocol, as the data plane serves it. PROXY and PROXYV2 are pool protocols only (Octavia's
 * names): the backend connection starts with a PROXY protocol header, v1 (text) or v2 (binary).
 */
public enum Protocol { TCP, UDP, HTTP, TERMINATED_HTTPS, PROXY, PROXYV2 }
