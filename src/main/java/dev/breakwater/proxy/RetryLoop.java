package dev.breakwater.proxy;

import dev.breakwater.observability.RouteMetrics;
import dev.breakwater.resilience.Clearance;
import dev.breakwater.resilience.FailureKind;
import dev.breakwater.resilience.ProviderRules;
import dev.breakwater.resilience.RequestAdmission;
import dev.breakwater.resilience.RetryDecision;
import dev.breakwater.resilience.StopReason;
import dev.breakwater.resilience.WaitSource;
import io.vertx.core.AsyncResult;
import io.vertx.core.http.HttpClientResponse;

/**
 * Drives one exchange's attempts: ask the request's {@link RequestAdmission} whether the attempt may go, send it,
 * hand the outcome (a response head, peeked at when the provider needs the error body, or a failure) back for a
 * decision, then either wait on a timer and try again, or commit the response to the client. Every decision is
 * taken in {@code resilience}; this class only does the I/O it asks for. Nothing here blocks.
 */
final class RetryLoop {
    private final Exchange exchange;
    /** True when the request may run twice (see {@link UpstreamAttempt} on stale connections). */
    private boolean repeatable;
    /** When the request was held at a rate-limit gate ({@link System#nanoTime}), or 0 when it is not held. */
    private long heldSinceNanos;

    RetryLoop(Exchange exchange) {
        this.exchange = exchange;
    }

    /** Starts the first attempt once the body is known. */
    void start() {
        repeatable = exchange.admission().mayRepeat();
        attempt();
    }

    /** Sends the next attempt, unless the admission holds or refuses it. */
    private void attempt() {
        if (!exchange.isDone()) {
            onClearance(exchange.admission().clearAttempt(this::onClearance));
        }
    }

    private void onClearance(Clearance clearance) {
        if (exchange.isDone()) {
            return;
        }
        if (heldSinceNanos != 0) {
            exchange.route()
                    .metrics()
                    .gateWait(
                            exchange.upstreamName(),
                            exchange.admission().currentKey(),
                            System.nanoTime() - heldSinceNanos);
            heldSinceNanos = 0;
        }
        if (clearance instanceof Clearance.Refuse refuse) {
            exchange.respond(ProxyError.refused(refuse.refusal(), exchange.route()));
        } else if (clearance instanceof Clearance.Wait wait) {
            heldSinceNanos = System.nanoTime();
            exchange.runtime()
                    .retryLog()
                    .held(
                            exchange.requestId(),
                            exchange.route().name(),
                            exchange.upstreamName(),
                            exchange.attempts() + 1,
                            wait.waitMillis());
            exchange.route().metrics().retryWait(WaitSource.GATE, wait.waitMillis());
        } else {
            send();
        }
    }

    private void send() {
        UpstreamAttempt attempt = new UpstreamAttempt(exchange, repeatable);
        exchange.attemptStarted(attempt);
        attempt.send().onComplete(ar -> onAttemptDone(attempt, ar));
    }

    private void onAttemptDone(UpstreamAttempt attempt, AsyncResult<HttpClientResponse> ar) {
        if (!exchange.attemptEnded(attempt)) {
            recordAttempt("cancelled");
            if (ar.succeeded()) {
                ar.result().request().reset();
            }
            return;
        }
        if (ar.failed()) {
            AttemptFailedException failure = ar.cause() instanceof AttemptFailedException f
                    ? f
                    : new AttemptFailedException(FailureKind.RESET_BEFORE_HEADERS, ar.cause());
            recordAttempt(failure.kind().label());
            onFailure(failure);
            return;
        }
        HttpClientResponse response = ar.result();
        exchange.headReceived();
        exchange.admission().onHeaders(response.statusCode());
        recordAttempt(RouteMetrics.statusClass(response.statusCode()));
        if (!provider().wantsErrorBody(response.statusCode())) {
            onResponse(response, null);
            return;
        }
        BodyPeek.read(
                        response,
                        exchange.runtime().scheduler(),
                        exchange.route().spec().timeouts().idle().toMillis())
                .onSuccess(peeked -> {
                    if (exchange.isDone()) {
                        response.request().reset();
                        return;
                    }
                    onResponse(response, peeked);
                });
    }

    private void onFailure(AttemptFailedException failure) {
        RetryDecision decision = exchange.admission().onFailure(failure.kind(), failure);
        exchange.decided(decision);
        exchange.runtime()
                .retryLog()
                .decision(
                        exchange.requestId(),
                        exchange.route().name(),
                        exchange.upstreamName(),
                        failure.causeType(),
                        decision);
        if (decision instanceof RetryDecision.Retry retry) {
            scheduleRetry(retry);
        } else if (((RetryDecision.Stop) decision).reason() == StopReason.CIRCUIT_OPEN) {
            exchange.respond(ProxyError.refused(exchange.admission().circuitOpenRefusal(), exchange.route()));
        } else {
            exchange.respond(ProxyError.afterFailure(failure, exchange.route(), exchange.attempts()));
        }
    }

    private void onResponse(HttpClientResponse response, BodyPeek.Peeked peeked) {
        ProviderRules.ErrorFields error = peeked == null
                ? ProviderRules.ErrorFields.NONE
                : provider().errorFields(peeked.prefix().getBytes());
        RetryDecision decision = exchange.admission().onResponse(new UpstreamHead(response, error));
        exchange.decided(decision);
        if (!(decision instanceof RetryDecision.Stop stop && stop.reason().isRoutine())) {
            exchange.runtime()
                    .retryLog()
                    .decision(
                            exchange.requestId(),
                            exchange.route().name(),
                            exchange.upstreamName(),
                            Integer.toString(response.statusCode()),
                            decision);
        }
        if (decision instanceof RetryDecision.Retry retry) {
            if (peeked == null || !peeked.ended()) {
                discard(response);
            }
            scheduleRetry(retry);
            return;
        }
        exchange.commit(new ResponseRelay(exchange, response, peeked));
    }

    private void scheduleRetry(RetryDecision.Retry retry) {
        exchange.route().metrics().retryWait(retry.waitSource(), retry.delayMillis());
        exchange.retryScheduled(exchange.runtime().scheduler().schedule(retry.delayMillis(), this::attempt));
    }

    private void recordAttempt(String outcome) {
        exchange.route().metrics().attempt(exchange.upstreamName(), outcome);
    }

    /** The rules of the upstream the attempt went to. */
    private ProviderRules provider() {
        return exchange.admission().upstream().provider();
    }

    /** Reads and drops a response we will not relay, so its connection can go back to the pool. */
    private static void discard(HttpClientResponse response) {
        response.handler(chunk -> {});
        response.exceptionHandler(t -> {});
        response.endHandler(null);
        response.resume();
    }

    /** The total deadline passed: stop whatever is in flight. */
    void onDeadline() {
        if (exchange.isDone()) {
            return;
        }
        if (exchange.isCommitted()) {
            exchange.relay().abort(ProxyError.deadlineWhileRelaying(exchange.route()));
            return;
        }
        exchange.cancelPendingWork();
        exchange.respond(ProxyError.deadline(exchange.route(), exchange.attempts()));
    }
}
