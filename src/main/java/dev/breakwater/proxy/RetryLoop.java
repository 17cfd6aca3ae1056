package dev.breakwater.proxy;

import dev.breakwater.config.Provider;
import dev.breakwater.observability.RouteMetrics;
import dev.breakwater.resilience.Clearance;
import dev.breakwater.resilience.FailureKind;
import dev.breakwater.resilience.McpCall;
import dev.breakwater.resilience.ProviderRules;
import dev.breakwater.resilience.RequestAdmission;
import dev.breakwater.resilience.RetryDecision;
import dev.breakwater.resilience.StopReason;
import dev.breakwater.resilience.StreamEvents;
import dev.breakwater.time.Scheduler;
import io.vertx.core.AsyncResult;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;

/**
 * Drives one exchange's attempts: ask the request's {@link RequestAdmission} whether the attempt may go, send it,
 * hand the outcome (a response head, peeked at when the provider needs the error body, or a failure) back for a
 * decision, then either wait on a timer and try again, or commit the response to the client. Every decision is
 * taken in {@code resilience}; this class only does the I/O it asks for. Nothing here blocks.
 */
final class RetryLoop {
    private final Exchange exchange;
    private final GateHold gateHold;
    /** True when the request may run twice (see {@link UpstreamAttempt} on stale connections). */
    private boolean repeatable;

    RetryLoop(Exchange exchange) {
        this.exchange = exchange;
        this.gateHold = new GateHold(exchange);
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
        gateHold.ended();
        if (clearance instanceof Clearance.Refuse refuse) {
            ProxyError error = ProxyError.refused(refuse.refusal(), exchange.route());
            exchange.trace().refused(error.code());
            exchange.respond(error);
        } else if (clearance instanceof Clearance.Wait wait) {
            gateHold.started(wait);
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
        exchange.answeredWith(response.headers());
        if (holdsUntilFirstEvent(response)) {
            awaitFirstEvent(response);
            return;
        }
        exchange.admission().onHeaders(response.statusCode());
        recordAttempt(RouteMetrics.attemptOutcome(response.statusCode()));
        exchange.trace().attemptAnswered(response.statusCode());
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

    /** A streamed success is held until its first content event when the route says so (the default). */
    private boolean holdsUntilFirstEvent(HttpClientResponse response) {
        int status = response.statusCode();
        return status >= 200
                && status < 300
                && status != 204
                && exchange.route().spec().stream().commitOnFirstEvent()
                && ResponseRelay.isEventStream(response)
                && exchange.request().method() != HttpMethod.HEAD
                && !isMcpServerStream(exchange);
    }

    /**
     * An MCP server's stream of its own messages (the answer to a GET) may stay silent for hours: it is committed at
     * its headers, and only {@code stream.idle-timeout} and {@code timeouts.total} bound it.
     */
    static boolean isMcpServerStream(Exchange exchange) {
        return exchange.route().spec().provider() == Provider.MCP
                && exchange.request().method() == HttpMethod.GET;
    }

    /**
     * Holds the stream until its first content event (see {@link FirstEventWait}); the breaker and the retry
     * decision hear of the attempt only then, so a stream that fails before it is a failed attempt.
     */
    private void awaitFirstEvent(HttpClientResponse response) {
        FirstEventWait wait = new FirstEventWait(
                response,
                exchange.streamDialect(),
                exchange.route().spec().provider() != Provider.GENERIC,
                exchange.route().spec().stream());
        exchange.awaitingFirstEvent(wait::cancel);
        wait.start(exchange.timers()).onSuccess(outcome -> {
            exchange.awaitingFirstEvent(Scheduler.Cancellable.NONE);
            if (exchange.isDone()) {
                response.request().reset();
                return;
            }
            if (outcome instanceof FirstEventWait.Broken broken) {
                response.request().reset();
                AttemptFailedException failure = new AttemptFailedException(broken.kind(), broken.cause());
                recordAttempt(failure.kind().label());
                onFailure(failure);
                return;
            }
            // The wait for the first event is the upstream's time, not Breakwater's own (the overhead meter).
            exchange.headReceived();
            FirstEventWait.Held held = (FirstEventWait.Held) outcome;
            StreamEvents.Failure reported = held.reported();
            int status = reported == null ? response.statusCode() : reported.status();
            exchange.admission().onHeaders(status);
            recordAttempt(RouteMetrics.attemptOutcome(status));
            exchange.trace().attemptAnswered(status);
            UpstreamHead head = new UpstreamHead(
                    status, response.headers(), reported == null ? ProviderRules.ErrorFields.NONE : reported.fields());
            decide(response, head, null, held, reported == null ? "200" : "stream error " + reported.label());
        });
    }

    private void onFailure(AttemptFailedException failure) {
        exchange.trace().attemptFailed(failure.causeType());
        RetryDecision decision = exchange.admission().onFailure(failure.kind(), failure);
        exchange.decided(decision, failure.causeType(), true, failure.causeMessage());
        if (decision instanceof RetryDecision.Retry retry) {
            streamRetried(failure.kind());
            scheduleRetry(retry);
        } else if (((RetryDecision.Stop) decision).reason() == StopReason.CIRCUIT_OPEN) {
            exchange.respond(ProxyError.refused(exchange.admission().circuitOpenRefusal(), exchange.route()));
        } else {
            ProxyError error = ProxyError.afterFailure(failure, exchange.route(), exchange.attempts());
            McpCall call = exchange.admission().mcpCall();
            if (call != null && ((RetryDecision.Stop) decision).reason() == StopReason.METHOD_NOT_RETRYABLE) {
                // The MCP client should learn why its call was not tried again: it names the tool.
                error = error.notRetried(call.why());
            }
            exchange.respond(error);
        }
    }

    /** Counts a stream that failed before its first event and is retried. */
    private void streamRetried(FailureKind kind) {
        String cause = switch (kind) {
            case STREAM_CUT_BEFORE_FIRST_EVENT -> "cut";
            case FIRST_EVENT_TIMEOUT -> "first_event_timeout";
            default -> null;
        };
        if (cause != null) {
            exchange.route().metrics().streams().retriedBeforeCommit(exchange.upstreamName(), cause);
        }
    }

    private void onResponse(HttpClientResponse response, BodyPeek.Peeked peeked) {
        ProviderRules.ErrorFields error = peeked == null
                ? ProviderRules.ErrorFields.NONE
                : provider().errorFields(peeked.prefix().getBytes());
        decide(response, new UpstreamHead(response, error), peeked, null, Integer.toString(response.statusCode()));
    }

    /**
     * Takes the decision after a response: retry (dropping the response), or commit it to the client.
     *
     * @param peeked the body prefix read to classify an error, or null
     * @param held a stream held until its first event, or null
     * @param cause what the retry log names as the attempt's outcome
     */
    private void decide(
            HttpClientResponse response,
            UpstreamHead head,
            BodyPeek.Peeked peeked,
            FirstEventWait.Held held,
            String cause) {
        RetryDecision decision = exchange.admission().onResponse(head);
        exchange.decided(decision, cause, head.status() >= 400);
        if (decision instanceof RetryDecision.Retry retry) {
            if (held != null) {
                // A stream may go on for minutes: stop it (and its billing) rather than read it to the end.
                if (!held.ended()) {
                    response.request().reset();
                }
                if (held.reported() != null) {
                    exchange.route().metrics().streams().retriedBeforeCommit(exchange.upstreamName(), "error_event");
                }
            } else if (peeked == null || !peeked.ended()) {
                discard(response);
            }
            scheduleRetry(retry);
            return;
        }
        exchange.commit(new ResponseRelay(exchange, response, peeked, held));
    }

    private void scheduleRetry(RetryDecision.Retry retry) {
        exchange.route().metrics().retryWait(retry.waitSource(), retry.delayMillis());
        exchange.retryScheduled(exchange.runtime().scheduler().schedule(retry.delayMillis(), this::attempt));
    }

    private void recordAttempt(String outcome) {
        exchange.route()
                .metrics()
                .attempt(exchange.upstreamName(), exchange.admission().model(), outcome, exchange.sinceAttemptStart());
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
            exchange.relay().abort(ProxyError.deadlineWhileRelaying(exchange.route()), "deadline");
            return;
        }
        exchange.cancelPendingWork();
        exchange.respond(ProxyError.deadline(exchange.route(), exchange.attempts()));
    }
}
