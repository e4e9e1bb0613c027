/**
 * The deterministic, pure parts of choosing a backend, which both planes compute: the fixed hashes
 * ({@link io.fiberlb.balance.Hashing}), the Maglev lookup table ({@link io.fiberlb.balance.MaglevTable}), weighted
 * rendezvous scoring ({@link io.fiberlb.balance.Rendezvous}), endpoint keys and the eligibility rule
 * ({@link io.fiberlb.balance.Eligibility}).
 *
 * <p>The data plane's balancers ({@code io.fiberlb.dataplane.balance}) pick with them; the control plane uses the
 * same code to tell, before a change is made, how many client flows it would move (a dry run's disruption
 * estimate). One copy of the rules, so the estimate is of the tables the data plane will really build. Depends on
 * nothing of FiberLB: no actors, no I/O, no clocks.
 */
package io.fiberlb.balance;
