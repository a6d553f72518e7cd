/**
 * Runnable examples, one {@code main} each: a newcomer copies one, changes the addresses and has a
 * working, observable client. Every example starts its own backends on 127.0.0.1 ({@link
 * io.lb4j.examples.HttpBackend}, {@link io.lb4j.examples.GreeterBackend}; stand-ins for your
 * servers), makes real calls, prints what it shows, and exits non-zero when that did not happen.
 * Not published.
 */
package io.lb4j.examples;
