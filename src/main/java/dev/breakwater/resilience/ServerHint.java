package dev.breakwater.resilience;

/**
 * A wait the upstream asked for, and where it came from.
 *
 * @param millis how long to wait from the moment the response arrived
 * @param source the header it was read from
 */
public record ServerHint(long millis, WaitSource source) {}
