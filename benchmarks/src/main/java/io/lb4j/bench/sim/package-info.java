/**
 * A discrete-event simulator that runs every policy through scenarios of slow, failing and
 * recovering backends on a simulated clock, through the real lb4j balancer, and writes the results
 * as a table and an HTML report ({@link io.lb4j.bench.sim.Simulator} is the entry point).
 */
package io.lb4j.bench.sim;
