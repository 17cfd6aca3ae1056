package dev.breakwater.config;

import java.time.Duration;
import java.util.Optional;

/**
 * A route's {@code stream} section: how a streamed ({@code text/event-stream}) success response is committed to
 * the client and how long it may stay silent. {@link Duration#ZERO} disables a timeout.
 *
 * @param commitOnFirstEvent true holds the response head until the first event that carries content, so a stream
 *     that fails before it (cut, error event, silence) is retried like any failed attempt; false commits at the
 *     headers (default true)
 * @param firstEventTimeout from the response headers to the first content event: a longer wait fails the attempt
 *     (default 120s, as long as {@code timeouts.response}: a reasoning model may think before its first token)
 * @param idleTimeout after commit, the longest silence between two chunks of the stream; replaces
 *     {@code timeouts.idle} for event streams; empty: the route's {@code timeouts.idle}
 * @param maxHeld the most bytes held before the first content event; a stream whose preamble is longer is
 *     committed at that point (default 64KiB)
 */
public record StreamSpec(
        boolean commitOnFirstEvent, Duration firstEventTimeout, Optional<Duration> idleTimeout, long maxHeld) {
    /** The built-in defaults. */
    public static final StreamSpec DEFAULT = new StreamSpec(true, Duration.ofSeconds(120), Optional.empty(), 64 * 1024);

    /** The longest silence of a committed event stream on a route whose {@code timeouts} are {@code timeouts}. */
    public Duration idleTimeout(TimeoutSpec timeouts) {
        return idleTimeout.orElse(timeouts.idle());
    }
}
