package dev.breakwater.proxy;

import dev.breakwater.resilience.FailureKind;
import dev.breakwater.resilience.RequestFacts;
import dev.breakwater.resilience.RetryDecision;
import io.vertx.core.AsyncResult;
import io.vertx.core.http.HttpClientResponse;

/**
 * Drives one exchange's attempts: send, decide on the response head (or failure), then either wait on a timer and
 * try again, or commit the response to the client. Nothing here blocks; the next attempt is scheduled, never
 * slept for.
 */
final class RetryLoop {
    private final Exchange exchange;

    RetryLoop(Exchange exchange) {
        this.exchange = exchange;
    }

    /** Starts the first attempt once the body is known. */
    void start() {
        boolean idempotencyKey = exchange.request.headers().contains("idempotency-key");
        RequestFacts facts = new RequestFacts(exchange.request.method().name(), idempotencyKey,
                exchange.body.replayable());
        exchange.retry = exchange.route.retryPolicy().newContext(facts, exchange.deadlineNanos);
        attempt();
    }

    private void attempt() {
        if (exchange.isDone()) {
            return;
        }
        UpstreamAttempt attempt = new UpstreamAttempt(exchange);
        exchange.currentAttempt = attempt;
        exchange.attempts++;
        attempt.send().onComplete(ar -> onAttemptDone(attempt, ar));
    }

    private void onAttemptDone(UpstreamAttempt attempt, AsyncResult<HttpClientResponse> ar) {
        if (exchange.isDone() || exchange.currentAttempt != attempt) {
            if (ar.succeeded()) {
                ar.result().request().reset();
            }
            return;
        }
        exchange.currentAttempt = null;
        if (ar.failed()) {
            onFailure(ar.cause() instanceof AttemptFailedException f
                    ? f : new AttemptFailedException(FailureKind.RESET_BEFORE_HEADERS, ar.cause()));
        } else {
            onResponse(ar.result());
        }
    }

    private void onFailure(AttemptFailedException failure) {
        RetryDecision decision = exchange.retry.onFailure(failure.kind());
        exchange.lastReason = decision.reason();
        exchange.runtime.retryLog().decision(exchange.requestId, exchange.route.name(), decision.attempt(),
                failure.causeType(), decision);
        if (decision.retry()) {
            scheduleRetry(decision.delayMillis());
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
        }
    }

    private void onResponse(HttpClientResponse response) {
        int status = response.statusCode();
        RetryDecision decision = exchange.retry.onResponse(status);
        exchange.lastReason = decision.reason();
        if (decision.retry() || !"status_not_retryable".equals(decision.reason())) {
            exchange.runtime.retryLog().decision(exchange.requestId, exchange.route.name(), decision.attempt(),
                    Integer.toString(status), decision);
        }
        if (decision.retry()) {
            discard(response);
            scheduleRetry(decision.delayMillis());
            return;
        }
        exchange.retry.onCommitted();
        exchange.relay = new ResponseRelay(exchange, response);
        exchange.relay.start();
    }

    private void scheduleRetry(long delayMillis) {
        exchange.retryTimer = exchange.runtime.scheduler().schedule(delayMillis, this::attempt);
    }

    /** Reads and drops a response we will not relay, so its connection can go back to the pool. */
    private static void discard(HttpClientResponse response) {
        response.handler(chunk -> { });
        response.exceptionHandler(t -> { });
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
        if (exchange.currentAttempt != null) {
            UpstreamAttempt attempt = exchange.currentAttempt;
            exchange.currentAttempt = null;
            attempt.cancel();
        }
        exchange.lastReason = "deadline";
        exchange.respondWithError(504, "deadline_exceeded", "The request exceeded its total timeout of "
                + exchange.route.spec().timeouts().total().toMillis() + " ms after " + exchange.attempts
                + " attempt(s)");
    }
}
