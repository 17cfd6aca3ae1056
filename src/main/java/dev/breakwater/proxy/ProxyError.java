package dev.breakwater.proxy;

import dev.breakwater.resilience.Refusal;
import dev.breakwater.routing.Route;

/**
 * An answer Breakwater makes itself instead of relaying the upstream's: its status, its OpenAI-shaped error code
 * and message (see {@link ErrorResponses}), and, for a refusal, when the client may come back.
 *
 * @param retryAfterSeconds the {@code Retry-After} to send, or -1: Breakwater gave up on the upstream, and says
 *     {@code x-should-retry: false} instead when the route does
 */
record ProxyError(int status, String code, String message, long retryAfterSeconds) {

    /** This error with the reason no retry was made appended to its message. */
    ProxyError notRetried(String why) {
        return new ProxyError(status, code, message + "; not retried: " + why, retryAfterSeconds);
    }

    /** Breakwater gave up: no {@code Retry-After}. */
    static ProxyError gaveUp(int status, String code, String message) {
        return new ProxyError(status, code, message, -1);
    }

    /** The admission refused the attempt: 503 for an open breaker, 429 for a gate closed past the wait. */
    static ProxyError refused(Refusal refusal, Route route) {
        if (refusal instanceof Refusal.CircuitOpen open) {
            return new ProxyError(
                    503,
                    "circuit_open",
                    "The circuit breaker of route '" + route.name() + "' is open "
                            + (open.byOperator() ? "(forced open by an operator)" : "after repeated upstream failures")
                            + "; try again in " + open.retryAfterSeconds() + " s",
                    open.retryAfterSeconds());
        }
        boolean queueFull = refusal instanceof Refusal.RateLimited limited && limited.queueFull();
        return new ProxyError(
                429,
                "rate_limited",
                queueFull
                        ? "Too many requests of route '" + route.name()
                                + "' already wait for its rate limit (rate-limit.max-queued); try again in "
                                + refusal.retryAfterSeconds() + " s"
                        : "The upstream of route '" + route.name()
                                + "' is rate limited for another " + refusal.retryAfterSeconds()
                                + " s; Breakwater held this request back",
                refusal.retryAfterSeconds());
    }

    /** The last attempt failed before response headers and no retry follows. */
    static ProxyError afterFailure(AttemptFailedException failure, Route route, int attempts) {
        String name = route.name();
        return switch (failure.kind()) {
            case CONNECT_FAILURE ->
                gaveUp(
                        502,
                        "upstream_unreachable",
                        "Breakwater could not connect to the " + "upstream of route '" + name + "' after " + attempts
                                + " attempt(s)");
            case RESPONSE_TIMEOUT ->
                gaveUp(
                        504,
                        "upstream_timeout",
                        "The upstream of route '" + name + "' sent no response headers within "
                                + route.spec().timeouts().response().toMillis() + " ms");
            case RESET_BEFORE_HEADERS ->
                gaveUp(
                        502,
                        "upstream_reset",
                        "The upstream of route '" + name + "' closed the connection before responding");
            case PROTOCOL_ERROR ->
                gaveUp(
                        502,
                        "upstream_protocol_error",
                        "The upstream of route '" + name + "' sent an invalid response (" + failure.getMessage() + ")");
            case STREAM_CUT_BEFORE_FIRST_EVENT ->
                gaveUp(
                        502,
                        "upstream_interrupted",
                        "The upstream of route '" + name + "' ended its event stream before the first event after "
                                + attempts + " attempt(s)");
            case FIRST_EVENT_TIMEOUT ->
                gaveUp(
                        504,
                        "upstream_timeout",
                        "The upstream of route '" + name + "' sent no event within "
                                + route.spec().stream().firstEventTimeout().toMillis() + " ms (stream.first-event-"
                                + "timeout) after " + attempts + " attempt(s)");
        };
    }

    /** The total deadline passed before a response was committed. */
    static ProxyError deadline(Route route, int attempts) {
        return gaveUp(
                504,
                "deadline_exceeded",
                "The request exceeded its total timeout of "
                        + route.spec().timeouts().total().toMillis() + " ms after " + attempts + " attempt(s)");
    }

    /** The total deadline passed while the response was being relayed. */
    static ProxyError deadlineWhileRelaying(Route route) {
        return gaveUp(
                504,
                "deadline_exceeded",
                "The request exceeded its total timeout of "
                        + route.spec().timeouts().total().toMillis() + " ms");
    }

    /** The upstream broke off or went silent after its response head. */
    static ProxyError interrupted(String message) {
        return gaveUp(502, "upstream_interrupted", message);
    }
}
