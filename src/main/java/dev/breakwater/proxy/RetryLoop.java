package dev.breakwater.proxy;

import dev.breakwater.observability.RouteMetrics;
import dev.breakwater.resilience.FailureKind;
import dev.breakwater.resilience.OpenAiBodies;
import dev.breakwater.resilience.RateLimitGate;
import dev.breakwater.resilience.RequestFacts;
import dev.breakwater.resilience.ResponseHead;
import dev.breakwater.resilience.RetryDecision;
import dev.breakwater.resilience.RouteBreaker;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;

/**
 * Drives one exchange's attempts: pass the route's rate-limit gate, send, decide on the response head (peeking
 * at an error body when the classification needs it) or failure, then either wait on a timer and try again, or
 * commit the response to the client. Nothing here blocks; the next attempt is scheduled, never slept for.
 */
final class RetryLoop {
    private static final long MAX_GATE_CLOSE_MILLIS = 3_600_000;

    private final Exchange exchange;
    /** True when the request may run twice (see {@link UpstreamAttempt} on stale connections). */
    private boolean repeatable;

    RetryLoop(Exchange exchange) {
        this.exchange = exchange;
    }

    /** Starts the first attempt once the body is known. */
    void start() {
        boolean idempotencyKey = exchange.request.headers().contains("idempotency-key");
        RequestFacts facts = new RequestFacts(exchange.request.method().name(), idempotencyKey,
                exchange.body.replayable());
        exchange.retry = exchange.route.retryPolicy().newContext(facts, exchange.deadlineNanos);
        repeatable = exchange.route.retryPolicy().classifier().mayRepeat(facts);
        attempt();
    }

    /** Sends the next attempt, unless the rate-limit gate holds or refuses it. */
    private void attempt() {
        if (exchange.isDone()) {
            return;
        }
        RouteBreaker openBreaker = exchange.route.breaker().filter(RouteBreaker::isOpen).orElse(null);
        if (openBreaker != null) {
            // An open breaker refuses at once: holding the request at the rate-limit gate first would only make
            // the client wait for the same 503.
            exchange.respondCircuitOpen(openBreaker.retryAfterSeconds());
            return;
        }
        RateLimitGate gate = exchange.route.rateLimitGate().orElse(null);
        if (gate != null && gate.isActive()) {
            Context context = Vertx.currentContext();
            long maxWaitNanos = Math.min(exchange.route.spec().retry().maxRetryAfter().toNanos(),
                    exchange.deadlineNanos - exchange.runtime.ticker().nanoTime());
            RateLimitGate.Admission admission = gate.admit(exchange.gateKey(), maxWaitNanos,
                    task -> context.runOnContext(v -> task.run()), this::send);
            if (admission instanceof RateLimitGate.Held held) {
                exchange.gateTicket = held.ticket();
                exchange.runtime.retryLog().held(exchange.requestId, exchange.route.name(), exchange.attempts + 1,
                        held.waitMillis());
                exchange.route.metrics().ifPresent(metrics -> metrics.retryWait("gate", held.waitMillis()));
                return;
            }
            if (admission instanceof RateLimitGate.Rejected rejected) {
                exchange.respondRateLimited(rejected.retryAfterSeconds());
                return;
            }
        }
        send();
    }

    private void send() {
        exchange.gateTicket = null;
        if (exchange.isDone()) {
            return;
        }
        RouteBreaker breaker = exchange.route.breaker().orElse(null);
        RouteBreaker.Permit permit = null;
        if (breaker != null) {
            permit = breaker.tryAcquire();
            if (permit == null) {
                // A refusal is an answer too: without this, requests the gate holds would leave it only at the
                // gate's slow one-per-second nudge while the breaker stays open.
                exchange.route.rateLimitGate().filter(RateLimitGate::isActive)
                        .ifPresent(gate -> gate.onAnswer(exchange.gateKey()));
                exchange.respondCircuitOpen(breaker.retryAfterSeconds());
                return;
            }
        }
        UpstreamAttempt attempt = new UpstreamAttempt(exchange, permit, repeatable);
        if (exchange.firstDispatchNanos == 0) {
            exchange.firstDispatchNanos = exchange.runtime.ticker().nanoTime();
        }
        exchange.currentAttempt = attempt;
        exchange.attempts++;
        attempt.send().onComplete(ar -> onAttemptDone(attempt, ar));
    }

    private void onAttemptDone(UpstreamAttempt attempt, AsyncResult<HttpClientResponse> ar) {
        if (exchange.isDone() || exchange.currentAttempt != attempt) {
            attempt.releasePermit();
            recordAttempt("cancelled");
            if (ar.succeeded()) {
                ar.result().request().reset();
            }
            return;
        }
        exchange.currentAttempt = null;
        exchange.releaseRetry();
        if (ar.failed()) {
            AttemptFailedException failure = ar.cause() instanceof AttemptFailedException f
                    ? f : new AttemptFailedException(FailureKind.RESET_BEFORE_HEADERS, ar.cause());
            attempt.recordFailure(failure);
            recordAttempt(failure.kind().label());
            onFailure(failure);
            return;
        }
        HttpClientResponse response = ar.result();
        exchange.lastHeadNanos = exchange.runtime.ticker().nanoTime();
        attempt.recordResponse(response.statusCode());
        recordAttempt(RouteMetrics.statusClass(response.statusCode()));
        if (!exchange.route.retryPolicy().classifier().wantsErrorBody(response.statusCode())) {
            onResponse(response, null);
            return;
        }
        BodyPeek.read(response, exchange.runtime.scheduler(), exchange.route.spec().timeouts().idle().toMillis())
                .onSuccess(peeked -> {
                    if (exchange.isDone()) {
                        response.request().reset();
                        return;
                    }
                    onResponse(response, peeked);
                });
    }

    private void onFailure(AttemptFailedException failure) {
        RetryDecision decision = admitRetry(exchange.retry.onFailure(failure.kind()));
        exchange.lastReason = decision.reason();
        updateGate(null, decision);
        exchange.runtime.retryLog().decision(exchange.requestId, exchange.route.name(), failure.causeType(),
                decision);
        if (decision.retry()) {
            scheduleRetry(decision);
            return;
        }
        if (decision.reason().equals("circuit_open")) {
            exchange.respondCircuitOpen(exchange.route.breaker().map(RouteBreaker::retryAfterSeconds).orElse(1L));
            return;
        }
        switch (failure.kind()) {
            case CONNECT_FAILURE -> exchange.respondWithError(502, "upstream_unreachable",
                    "Breakwater could not connect to the upstream of route '" + exchange.route.name() + "' after "
                            + exchange.attempts + " attempt(s)");
            case RESPONSE_TIMEOUT -> exchange.respondWithError(504, "upstream_timeout",
                    "The upstream of route '" + exchange.route.name() + "' sent no response headers within "
                            + exchange.route.spec().timeouts().response().toMillis() + " ms");
            case RESET_BEFORE_HEADERS -> exchange.respondWithError(502, "upstream_reset",
                    "The upstream of route '" + exchange.route.name()
                            + "' closed the connection before responding");
            case PROTOCOL_ERROR -> exchange.respondWithError(502, "upstream_protocol_error",
                    "The upstream of route '" + exchange.route.name() + "' sent an invalid response ("
                            + failure.getMessage() + ")");
        }
    }

    private void onResponse(HttpClientResponse response, BodyPeek.Peeked peeked) {
        OpenAiBodies.ErrorFields error = peeked == null ? null : OpenAiBodies.error(peeked.prefix().getBytes());
        UpstreamHead head = new UpstreamHead(response, error);
        RetryDecision decision = admitRetry(exchange.retry.onResponse(head));
        exchange.lastReason = decision.reason();
        updateGate(head, decision);
        if (decision.retry() || !"status_not_retryable".equals(decision.reason())) {
            exchange.runtime.retryLog().decision(exchange.requestId, exchange.route.name(),
                    Integer.toString(response.statusCode()), decision);
        }
        if (decision.retry()) {
            if (peeked == null || !peeked.ended()) {
                discard(response);
            }
            scheduleRetry(decision);
            return;
        }
        exchange.retry.onCommitted();
        exchange.relay = new ResponseRelay(exchange, response, peeked);
        exchange.relay.start();
    }

    /**
     * A retry the policy wants must also pass the route's breaker (not open) and retry budget (a place free);
     * otherwise the loop stops here and the client gets what the last attempt produced.
     */
    private RetryDecision admitRetry(RetryDecision decision) {
        if (!decision.retry()) {
            return decision;
        }
        if (exchange.route.breaker().map(RouteBreaker::isOpen).orElse(false)) {
            return decision.stopped("circuit_open");
        }
        if (!exchange.route.retryBudget().tryStartRetry()) {
            return decision.stopped("retry_budget_exhausted");
        }
        exchange.holdsRetry = true;
        return decision;
    }

    /**
     * A 429 whose hint shows the key limited closes the gate for this key; any other answer (a failure has no
     * head) lets held requests go.
     */
    private void updateGate(ResponseHead head, RetryDecision decision) {
        RateLimitGate gate = exchange.route.rateLimitGate().orElse(null);
        if (gate == null) {
            return;
        }
        if (head != null && head.status() == 429 && decision.hasServerHint()
                && RateLimitGate.closesOn(head, decision.serverHintMillis())) {
            // An absurd hint (a date decades ahead) must not lock a model until restart: probe hourly at most.
            long closeMillis = Math.min(decision.serverHintMillis(), MAX_GATE_CLOSE_MILLIS);
            gate.close(exchange.gateKey(), closeMillis, exchange.runtime.scheduler());
        } else if (gate.isActive()) {
            gate.onAnswer(exchange.gateKey());
        }
    }

    private void scheduleRetry(RetryDecision decision) {
        exchange.route.metrics().ifPresent(metrics -> metrics.retryWait(decision.waitSource(), decision.delayMillis()));
        exchange.retryTimer = exchange.runtime.scheduler().schedule(decision.delayMillis(), this::attempt);
    }

    private void recordAttempt(String outcome) {
        exchange.route.metrics().ifPresent(metrics -> metrics.attempt(outcome));
    }

    /** Reads and drops a response we will not relay, so its connection can go back to the pool. */
    private static void discard(HttpClientResponse response) {
        response.handler(chunk -> { });
        response.exceptionHandler(t -> { });
        response.endHandler(null);
        response.resume();
    }

    /** The total deadline passed: stop whatever is in flight. */
    void onDeadline() {
        if (exchange.isDone()) {
            return;
        }
        if (exchange.isCommitted()) {
            exchange.relay.abort("deadline_exceeded", "The request exceeded its total timeout of "
                    + exchange.route.spec().timeouts().total().toMillis() + " ms");
            return;
        }
        exchange.cancelPendingWork();
        exchange.respondWithError(504, "deadline_exceeded", "The request exceeded its total timeout of "
                + exchange.route.spec().timeouts().total().toMillis() + " ms after " + exchange.attempts
                + " attempt(s)");
    }
}
