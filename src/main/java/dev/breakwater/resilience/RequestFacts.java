package dev.breakwater.resilience;

/**
 * What the retry decision needs to know about the client's request.
 *
 * @param method the HTTP method, upper case
 * @param idempotencyKey true when the request carries an {@code Idempotency-Key} header
 * @param replayable true when the whole body is buffered and can be sent again byte for byte
 */
public record RequestFacts(String method, boolean idempotencyKey, boolean replayable) {}
