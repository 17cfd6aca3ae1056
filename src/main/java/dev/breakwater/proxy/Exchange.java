package dev.breakwater.proxy;

import dev.breakwater.config.Provider;
import dev.breakwater.observability.AccessLog;
import dev.breakwater.resilience.GateKeys;
import dev.breakwater.resilience.OpenAiBodies;
import dev.breakwater.resilience.RateLimitGate;
import dev.breakwater.resilience.RouteBreaker;
import dev.breakwater.resilience.RetryContext;
import dev.breakwater.routing.Route;
import dev.breakwater.time.Scheduler.Cancellable;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.Set;

/**
 * The state of one proxied request, from arrival to the last byte: the route, the buffered body, the attempts
 * made, the pending timers, and whether the response has been committed to the client.
 *
 * <p>Everything here runs on the request's event loop, so nothing is synchronized. Once {@link #isDone()} is
 * true, every late callback (a timer, a slow upstream) must do nothing but release what it holds.
 */
final class Exchange {
    /** Headers Breakwater sets itself on the way up, so the client's copies are dropped. */
    private static final Set<String> SET_BY_PROXY = HopByHopHeaders.caseInsensitive(
            "host", "content-length", "expect", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
            "x-request-id");

    /** Where an upstream credential travels: OpenAI, Azure OpenAI, Anthropic. */
    private static final String[] CREDENTIAL_HEADERS = {"authorization", "api-key", "x-api-key"};

    enum State { ACTIVE, COMMITTED, DONE }

    final HttpServerRequest request;
    final HttpServerResponse response;
    final Route route;
    final ProxyRuntime runtime;
    final String requestId;
    final RequestTarget target;
    final long startNanos;
    final long deadlineNanos;
    private final ReplayMemory replayMemory;

    RequestBody body;
    RetryContext retry;
    int attempts;
    State state = State.ACTIVE;
    String lastReason = "";
    Cancellable retryTimer = Cancellable.NONE;
    Cancellable deadlineTimer = Cancellable.NONE;
    UpstreamAttempt currentAttempt;
    ResponseRelay relay;
    /** When the client's body was fully read, the first attempt dispatched and the last head received. */
    long bodyReadNanos;
    long firstDispatchNanos;
    long lastHeadNanos;
    /** True while this request holds a place in the route's retry budget. */
    boolean holdsRetry;
    /** This request's place in the rate-limit gate's queue while it is held, else null. */
    RateLimitGate.Ticket gateTicket;
    private String gateKey;

    Exchange(HttpServerRequest request, Route route, ProxyRuntime runtime, RequestTarget target, String requestId,
            ReplayMemory replayMemory) {
        this.replayMemory = replayMemory;
        this.request = request;
        this.response = request.response();
        this.route = route;
        this.runtime = runtime;
        this.target = target;
        this.requestId = requestId;
        this.startNanos = runtime.ticker().nanoTime();
        long total = route.spec().timeouts().total().toNanos();
        this.deadlineNanos = total > 0 ? startNanos + total : Long.MAX_VALUE;
        route.retryBudget().requestStarted();
    }

    /** The response head is going out now. */
    void recordTimeToFirstByte() {
        route.metrics().ifPresent(metrics -> metrics.timeToFirstByte(runtime.ticker().nanoTime() - startNanos));
    }

    /**
     * Records Breakwater's own share of the latency when the upstream's head is committed: from the client's
     * body being read to the first attempt, plus from the final head arriving to it being sent on.
     */
    void recordOverhead() {
        if (firstDispatchNanos == 0 || lastHeadNanos == 0) {
            return;
        }
        long now = runtime.ticker().nanoTime();
        long own = (firstDispatchNanos - bodyReadNanos) + (now - lastHeadNanos);
        route.metrics().ifPresent(metrics -> metrics.overhead(Math.max(0, own)));
    }

    /** Gives back this request's place in the retry budget, if it holds one. */
    void releaseRetry() {
        if (holdsRetry) {
            holdsRetry = false;
            route.retryBudget().retryFinished();
        }
    }


    boolean isDone() {
        return state == State.DONE;
    }

    boolean isCommitted() {
        return state != State.ACTIVE;
    }

    /**
     * Writes the headers an attempt sends upstream straight into the request: the client's end-to-end headers,
     * the {@code X-Forwarded-*} set, the request id, and the route's configured headers on top. One copy per
     * attempt, with no intermediate map.
     */
    void writeUpstreamHeaders(MultiMap headers) {
        MultiMap incoming = request.headers();
        HopByHopHeaders.copy(incoming, headers, SET_BY_PROXY);
        String remote = request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
        String priorFor = incoming.get("x-forwarded-for");
        if (remote != null) {
            headers.set("x-forwarded-for", priorFor == null ? remote : priorFor + ", " + remote);
        } else if (priorFor != null) {
            headers.set("x-forwarded-for", priorFor);
        }
        headers.set("x-forwarded-proto", request.scheme() == null ? "http" : request.scheme());
        String host = request.authority() != null ? request.authority().toString() : incoming.get("host");
        if (host != null) {
            headers.set("x-forwarded-host", host);
        }
        headers.set("x-request-id", requestId);
        route.spec().headers().forEach(headers::set);
    }

    /**
     * The rate-limit gate's key: the credential the upstream request carries (as a fingerprint) and, for an
     * OpenAI route, the request's {@code model}, so other keys and other models are never held. Computed on first
     * use, which only happens once a gate has closed.
     */
    String gateKey() {
        if (gateKey == null) {
            String model = null;
            if (route.spec().provider() == Provider.OPENAI && body instanceof RequestBody.Buffered buffered
                    && buffered.bytes().length() > 0) {
                model = OpenAiBodies.model(buffered.bytes().getBytes());
            }
            gateKey = GateKeys.of(credential(), model);
        }
        return gateKey;
    }

    /** The credential the upstream sees: the route's own header wins over the client's, as on the way up. */
    private String credential() {
        for (String name : CREDENTIAL_HEADERS) {
            for (var header : route.spec().headers().entrySet()) {
                if (header.getKey().equalsIgnoreCase(name)) {
                    return header.getValue();
                }
            }
            String sent = request.getHeader(name);
            if (sent != null) {
                return sent;
            }
        }
        return null;
    }

    /**
     * Adds the headers every routed response carries, the proxy's own errors included, and
     * {@code x-should-retry: false} on a failure Breakwater has given up on, so the client's SDK does not retry
     * on top of Breakwater's own retries.
     */
    void addProxyHeaders(int status) {
        response.headers().set("x-request-id", requestId).set("x-breakwater-attempts", Integer.toString(attempts));
        if (status >= 400 && route.spec().retry().sendXShouldRetry()) {
            response.headers().set("x-should-retry", "false");
        }
    }


    /** Stops the attempt in flight, the retry timer and any wait in the rate-limit gate. */
    void cancelPendingWork() {
        if (currentAttempt != null) {
            UpstreamAttempt attempt = currentAttempt;
            currentAttempt = null;
            attempt.cancel();
        }
        if (gateTicket != null) {
            gateTicket.cancel();
            gateTicket = null;
        }
        retryTimer.cancel();
    }


    /** Answers with an error Breakwater makes itself, having given up on the upstream, if nothing was sent yet. */
    void respondWithError(int status, String code, String message) {
        respond(status, code, message, -1);
    }

    /**
     * Sends one of Breakwater's own errors in place of an upstream head that was taken but never written (the
     * upstream broke off before the first body byte): the client gets a status, not an empty reply.
     */
    void respondBeforeHead(int status, String code, String message) {
        response.headers().clear();
        state = State.ACTIVE;
        respond(status, code, message, -1);
    }

    /** The rate-limit gate is closed longer than this request may wait: 429 now, with the seconds left. */
    void respondRateLimited(long retryAfterSeconds) {
        respond(429, "rate_limited", "The upstream of route '" + route.name() + "' is rate limited for another "
                + retryAfterSeconds + " s; Breakwater held this request back", retryAfterSeconds);
    }

    /** The breaker is open: 503 now, with the seconds until it admits a probe. */
    void respondCircuitOpen(long retryAfterSeconds) {
        boolean byOperator = route.breaker().map(RouteBreaker::isForcedOpen).orElse(false);
        respond(503, "circuit_open", "The circuit breaker of route '" + route.name() + "' is open "
                + (byOperator ? "(forced open by an operator)" : "after repeated upstream failures")
                + "; try again in " + retryAfterSeconds + " s", retryAfterSeconds);
    }

    /**
     * Sends one of Breakwater's own errors. With {@code retryAfterSeconds} (a gate or breaker refusal) the client
     * is told when to come back; without, Breakwater gave up on the upstream and says {@code x-should-retry: false}.
     */
    private void respond(int status, String code, String message, long retryAfterSeconds) {
        if (isCommitted()) {
            return;
        }
        cancelTimers();
        lastReason = code;
        response.setStatusCode(status);
        if (retryAfterSeconds >= 0) {
            response.headers().set("x-request-id", requestId)
                    .set("x-breakwater-attempts", Integer.toString(attempts))
                    .set("retry-after", Long.toString(retryAfterSeconds));
        } else {
            addProxyHeaders(status);
        }
        recordTimeToFirstByte();
        response.headers().set("content-type", "application/json");
        // Finish before ending: on HTTP/2 ending the stream fires the close handler.
        finish(status, AccessLog.Outcome.PROXY_ERROR, code);
        response.end(ErrorResponses.body(code, message));
    }

    /** Marks the exchange finished and writes its access-log line; later calls do nothing. */
    void finish(int status, AccessLog.Outcome outcome, String reason) {
        if (state == State.DONE) {
            return;
        }
        state = State.DONE;
        cancelTimers();
        releaseRetry();
        if (body != null) {
            replayMemory.release(body.reservedBytes());
        }
        route.retryBudget().requestFinished();
        long durationNanos = runtime.ticker().nanoTime() - startNanos;
        route.metrics().ifPresent(metrics -> metrics.request(status, outcome, durationNanos));
        runtime.accessLog().request(requestId, route.name(), request.method().name(), target.path(), status,
                attempts, durationNanos, outcome, reason, request.getHeader("traceparent"));
    }

    /** The client went away: stop everything, bill nothing to the upstream's health. */
    void onClientGone() {
        if (state == State.DONE) {
            return;
        }
        cancelPendingWork();
        if (relay != null) {
            relay.cancelUpstream();
        }
        if (body instanceof RequestBody.Streamed streamed) {
            streamed.rest().resume();
        }
        finish(0, AccessLog.Outcome.CLIENT_CLOSED, "client_closed");
    }

    private void cancelTimers() {
        retryTimer.cancel();
        retryTimer = Cancellable.NONE;
        deadlineTimer.cancel();
        deadlineTimer = Cancellable.NONE;
    }
}
