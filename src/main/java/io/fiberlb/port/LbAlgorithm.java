package io.fiberlb.port;

/** How a pool picks a backend for each connection. */
public enum LbAlgorithm {
  ROUND_ROBIN, WEIGHTED_ROUND_ROBIN, LEAST_CONNECTIONS, SOURCE_IP, SOURCE_IP_PORT, MAGLEV, RANDOM_TWO_CHOICES
}
