package dev.breakwater.proxy;

import dev.breakwater.config.StreamSpec;
import dev.breakwater.config.TimeoutSpec;
import dev.breakwater.observability.AccessLog;
import dev.breakwater.observability.RequestTrace;
import dev.breakwater.observability.RetryLog;
import dev.breakwater.resilience.McpCall;
import dev.breakwater.resilience.OpenAiBodies;
import dev.breakwater.resilience.OutgoingRequest;
import dev.breakwater.resilience.RequestAdmission;
import dev.breakwater.resilience.RequestFacts;
import dev.breakwater.resilience.RetryDecision;
import dev.breakwater.resilience.StreamDialect;
import dev.breakwater.resilience.TokenUsage;
import dev.breakwater.resilience.UpstreamGuard;
import dev.breakwater.routing.Route;
import dev.breakwater.time.Scheduler;
import dev.breakwater.time.Scheduler.Cancellable;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.InputStream;
import java.time.Duration;

/**
 * The state of one proxied request, from arrival to the last byte, changed only through its transitions: body
 * read, attempt started and ended, response committed, finished. It also answers with Breakwater's own errors and
 * writes the request's access-log line and meters when it finishes.
 *
 * <p>Everything here runs on the request's event loop, so nothing is synchronized. Once {@link #isDone()} is
 * true, every late callback (a timer, a slow upstream) must do nothing but release what it holds.
 */
final class Exchange implements OutgoingRequest {
    private enum State {
        ACTIVE,
        COMMITTED,
        DONE
    }

    private final HttpServerRequest request;
    private final HttpServerResponse response;
    private final Route route;
    private final ProxyRuntime runtime;
    private final String requestId;
    private final RequestTarget target;
    private final ReplayMemory replayMemory;
    private final long startNanos;
    private final ExchangeTimers timers;
    private final long deadlineNanos;
    private final RequestAdmission admission;
    /** The request's spans, or {@link RequestTrace#OFF} while tracing is off. */
    private final RequestTrace trace;

    private State state = State.ACTIVE;
    private RequestBody body;
    private OpenAiBodies.RequestFields jsonFields;
    private int attempts;
    /** Why the exchange ended as it did: the last decision's reason, or Breakwater's error code. */
    private String lastReason = "";

    private Cancellable retryTimer = Cancellable.NONE;
    private Cancellable deadlineTimer = Cancellable.NONE;
    /** Stops the wait for a held stream's first event, while one runs. */
    private Cancellable firstEventWait = Cancellable.NONE;

    private UpstreamAttempt currentAttempt;
    private ResponseRelay relay;
    /** The response being captured for duplicates of this request's {@code Idempotency-Key}, or null. */
    private IdempotentRequests.Capture capture;
    /** When the client's body was fully read, the first attempt dispatched and the last head received. */
    private long bodyReadNanos;

    private long firstDispatchNanos;
    private long lastHeadNanos;
    /** When the latest attempt was sent. */
    private long attemptStartNanos;
    /** Time the first attempt was held at a rate-limit gate before it was dispatched. */
    private long heldBeforeFirstDispatchNanos;
    /** From arrival until the response head went out; -1 until it does. */
    private long firstByteNanos = -1;
    /** The request id the upstream gave its last answer, or null. */
    private String upstreamRequestId;
    /** The last failed attempt's cause in its own words, or null. */
    private String lastError;

    Exchange(
            HttpServerRequest request,
            Route route,
            ProxyRuntime runtime,
            RequestTarget target,
            String requestId,
            ReplayMemory replayMemory) {
        this.request = request;
        this.response = request.response();
        this.route = route;
        this.runtime = runtime;
        this.target = target;
        this.requestId = requestId;
        this.replayMemory = replayMemory;
        this.startNanos = runtime.ticker().nanoTime();
        long total = route.spec().timeouts().total().toNanos();
        this.deadlineNanos = total > 0 ? startNanos + total : Long.MAX_VALUE;
        this.timers = new ExchangeTimers(runtime.scheduler(), runtime.ticker(), startNanos + shortestTimeout(route));
        Context context = Vertx.currentContext();
        this.admission = route.guard()
                .admit(deadlineNanos, this, runtime.scheduler(), task -> context.runOnContext(v -> task.run()));
        // Off, tracing costs nothing more than this test: no header is read, no span made.
        this.trace = runtime.tracing().enabled()
                ? runtime.tracing()
                        .request(
                                request.method().name(),
                                target.path(),
                                route.name(),
                                route.spec().provider(),
                                requestId,
                                request.getHeader("traceparent"),
                                request.getHeader("tracestate"))
                : RequestTrace.OFF;
    }

    /** The request's trace: its spans when tracing is on, else {@link RequestTrace#OFF}, which does nothing. */
    RequestTrace trace() {
        return trace;
    }

    /** The trace id of the request's span (32 hex digits), or null while tracing is off. */
    String traceId() {
        return trace.traceId();
    }

    /** The id of the request's server span (16 hex digits), or null while tracing is off. */
    String spanId() {
        return trace.spanId();
    }

    /**
     * The tokens the relayed response reported in its {@code usage} (a JSON body's, or a stream's final report),
     * or null: not a 2xx response of an {@code openai}, {@code azure-openai} or {@code anthropic} route, nothing
     * relayed yet, or no usage in it. Complete once the relay has ended, which is before {@link #finish} logs.
     */
    TokenUsage usage() {
        return relay == null ? null : relay.usage();
    }

    /** The model the relayed response named (its {@code model}), or null; read where {@link #usage()} is. */
    String responseModel() {
        return relay == null ? null : relay.responseModel();
    }

    HttpServerRequest request() {
        return request;
    }

    HttpServerResponse response() {
        return response;
    }

    Route route() {
        return route;
    }

    ProxyRuntime runtime() {
        return runtime;
    }

    /**
     * Timers for this exchange's deadlines (total, response, idle, first event): all on one event-loop timer. Retry
     * waits and other one-off timers use {@code runtime().scheduler()}.
     */
    Scheduler timers() {
        return timers;
    }

    /** The route's shortest enabled timeout, in nanoseconds: no deadline of an exchange falls due sooner. */
    private static long shortestTimeout(Route route) {
        TimeoutSpec timeouts = route.spec().timeouts();
        StreamSpec stream = route.spec().stream();
        long shortest = shorter(Long.MAX_VALUE / 2, timeouts.response());
        shortest = shorter(shortest, timeouts.idle());
        shortest = shorter(shortest, timeouts.total());
        shortest = shorter(shortest, stream.idleTimeout(timeouts));
        return shorter(shortest, stream.firstEventTimeout());
    }

    /** {@code nanos}, or {@code timeout} when that is enabled (above zero) and shorter. */
    private static long shorter(long nanos, Duration timeout) {
        long t = timeout.toNanos();
        return t > 0 ? Math.min(nanos, t) : nanos;
    }

    String requestId() {
        return requestId;
    }

    RequestTarget target() {
        return target;
    }

    /** The client's body; null until {@link #bodyRead}. */
    RequestBody body() {
        return body;
    }

    /** What the route's guard lets this request do. */
    RequestAdmission admission() {
        return admission;
    }

    /** Upstream attempts started so far. */
    int attempts() {
        return attempts;
    }

    boolean isDone() {
        return state == State.DONE;
    }

    boolean isCommitted() {
        return state != State.ACTIVE;
    }

    /** The total deadline's timer is armed. */
    void deadlineArmed(Cancellable timer) {
        deadlineTimer = timer;
    }

    /** The client's body is read: attempts may start. */
    void bodyRead(RequestBody body) {
        this.body = body;
        this.bodyReadNanos = runtime.ticker().nanoTime();
        admission.bodyRead(new RequestFacts(
                request.method().name(), request.headers().contains("idempotency-key"), body.replayable()));
    }

    /** An attempt is sent. */
    void attemptStarted(UpstreamAttempt attempt) {
        if (firstDispatchNanos == 0) {
            firstDispatchNanos = runtime.ticker().nanoTime();
        }
        currentAttempt = attempt;
        if (trace.enabled()) {
            UpstreamGuard upstream = admission.upstream();
            trace.attemptStarted(
                    attempts,
                    upstream.name(),
                    upstream.target().upstream().host(),
                    upstream.target().upstream().port(),
                    admission.model());
        }
        attempts++;
        attemptStartNanos = runtime.ticker().nanoTime();
    }

    /** Nanoseconds since the latest attempt was sent. */
    long sinceAttemptStart() {
        return runtime.ticker().nanoTime() - attemptStartNanos;
    }

    /**
     * The attempt has an outcome. False when it no longer matters (the exchange finished, or the attempt was
     * abandoned): the caller only drops what it holds.
     */
    boolean attemptEnded(UpstreamAttempt attempt) {
        if (isDone() || currentAttempt != attempt) {
            return false;
        }
        currentAttempt = null;
        return true;
    }

    /** The upstream's response head arrived. */
    void headReceived() {
        lastHeadNanos = runtime.ticker().nanoTime();
    }

    /**
     * An attempt was answered with {@code headers}: the upstream's own request id (OpenAI's {@code x-request-id},
     * Anthropic's {@code request-id}) is kept for the logs.
     */
    void answeredWith(MultiMap headers) {
        String id = headers.get("x-request-id");
        upstreamRequestId = id != null ? id : headers.get("request-id");
        // An earlier attempt's failure is not why this request ends: the last attempt was answered.
        lastError = null;
    }

    /** The request id the upstream gave its last answer, or null. */
    String upstreamRequestId() {
        return upstreamRequestId;
    }

    /**
     * A decision was taken after an attempt whose outcome was {@code cause} (a status, or a failure in words): it
     * goes to the retry log, unless it is the everyday stop of an answer that is not one to retry, and a stop
     * after a failed attempt is counted by its reason.
     *
     * @param failed true when the attempt failed (no response, or a status of 400 or more)
     */
    void decided(RetryDecision decision, String cause, boolean failed) {
        decided(decision, cause, failed, null);
    }

    /**
     * As {@link #decided(RetryDecision, String, boolean)}, after an attempt that failed without an answer:
     * {@code error} is its cause's own message, logged apart from the word that names it.
     */
    void decided(RetryDecision decision, String cause, boolean failed, String error) {
        lastReason = decision.reasonLabel();
        if (error != null) {
            lastError = error;
            upstreamRequestId = null;
        }
        trace.decided(decision, cause);
        if (decision instanceof RetryDecision.Stop stop && failed) {
            route.metrics().retryStopped(stop.reason().label());
        }
        if (!(decision instanceof RetryDecision.Stop stop && stop.reason().isRoutine())) {
            runtime.retryLog()
                    .decision(
                            new RetryLog.Attempt(
                                    requestId,
                                    route.name(),
                                    upstreamName(),
                                    upstreamRequestId,
                                    error,
                                    trace.traceId(),
                                    trace.attemptSpanId()),
                            cause,
                            decision);
        }
    }

    /** The request was held at a rate-limit gate for {@code nanos}. */
    void heldFor(long nanos) {
        if (firstDispatchNanos == 0) {
            heldBeforeFirstDispatchNanos += nanos;
        }
    }

    /** The next attempt waits for {@code timer}. */
    void retryScheduled(Cancellable timer) {
        retryTimer = timer;
    }

    /** The upstream's response goes to the client: no more attempts. */
    void commit(ResponseRelay relay) {
        admission.onCommitted();
        this.relay = relay;
        state = State.COMMITTED;
        relay.start();
    }

    /** The upstream accepted a WebSocket upgrade and the client's is accepted next: no more attempts. */
    void commitUpgrade() {
        admission.onCommitted();
        state = State.COMMITTED;
    }

    /** This request holds its {@code Idempotency-Key}: its response is captured as it is relayed. */
    void captureResponse(IdempotentRequests.Capture capture) {
        this.capture = capture;
    }

    /** The capture of this request's response for its {@code Idempotency-Key}, or null. */
    IdempotentRequests.Capture capture() {
        return capture;
    }

    /** A duplicate was answered with the stored response of the first request with its key. */
    void replayed(int status) {
        route.metrics().timeToFirstByte(runtime.ticker().nanoTime() - startNanos);
        finish(status, AccessLog.Outcome.REPLAYED, "idempotent_replay");
    }

    /** The relay of the committed response, or null. */
    ResponseRelay relay() {
        return relay;
    }

    /** A streamed response is held until its first event; {@code wait} gives that up. */
    void awaitingFirstEvent(Cancellable wait) {
        firstEventWait = wait;
    }

    /** The event vocabulary of this request's streamed response, and of the error event that ends a broken one. */
    StreamDialect streamDialect() {
        return StreamDialect.of(route.spec().provider(), target.path());
    }

    /** Nanoseconds since the request arrived. */
    long elapsedNanos() {
        return runtime.ticker().nanoTime() - startNanos;
    }

    /** The response head goes out now: records time to first byte, and Breakwater's own share of the latency. */
    void responseHeadSent(int status) {
        HeaderPolicy.writeResponse(response.headers(), route, requestId, attempts, upstreamName(), status);
        long now = runtime.ticker().nanoTime();
        firstByteNanos = now - startNanos;
        route.metrics().timeToFirstByte(firstByteNanos);
        if (firstDispatchNanos != 0 && lastHeadNanos != 0) {
            // From the client's body being read to the first attempt, plus from the final head to sending it on.
            // A hold of the first attempt at a rate-limit gate is waiting, not Breakwater's work: it is left out
            // (breakwater_ratelimit_wait_seconds measures it).
            long own = (firstDispatchNanos - bodyReadNanos - heldBeforeFirstDispatchNanos) + (now - lastHeadNanos);
            route.metrics().overhead(Math.max(0, own));
        }
    }

    /**
     * Stops the attempt in flight (its breaker permission goes back unused) and the retry timer. A wait at the
     * rate-limit gate ends in {@link #finish}, which every caller reaches next.
     */
    void cancelPendingWork() {
        if (currentAttempt != null) {
            UpstreamAttempt attempt = currentAttempt;
            currentAttempt = null;
            attempt.cancel();
            admission.onAttemptAbandoned();
        }
        firstEventWait.cancel();
        firstEventWait = Cancellable.NONE;
        retryTimer.cancel();
    }

    /**
     * Sends one of Breakwater's own errors, if nothing was sent yet. With a {@code Retry-After} (a refusal) the
     * client is told when to come back; without, Breakwater gave up on the upstream.
     */
    void respond(ProxyError error) {
        if (isCommitted()) {
            return;
        }
        cancelTimers();
        if (response.closed()) {
            // The client left while its request went on (see onClientGone): there is no one to answer.
            finish(error.status(), AccessLog.Outcome.PROXY_ERROR, error.code());
            return;
        }
        response.setStatusCode(error.status());
        if (error.retryAfterSeconds() >= 0) {
            response.headers()
                    .set("x-request-id", requestId)
                    .set(HeaderPolicy.BREAKWATER_REQUEST_ID, requestId)
                    .set("x-breakwater-attempts", Integer.toString(attempts))
                    .set("retry-after", Long.toString(error.retryAfterSeconds()));
            if (upstreamName() != null) {
                response.headers().set("x-breakwater-upstream", upstreamName());
            }
        } else {
            HeaderPolicy.writeResponse(response.headers(), route, requestId, attempts, upstreamName(), error.status());
        }
        firstByteNanos = runtime.ticker().nanoTime() - startNanos;
        route.metrics().timeToFirstByte(firstByteNanos);
        response.headers().set("content-type", "application/json");
        // Finish before ending: on HTTP/2 ending the stream fires the close handler.
        finish(error.status(), AccessLog.Outcome.PROXY_ERROR, error.code());
        response.end(ErrorResponses.body(errorShape(), jsonRpcId(), error.status(), error.code(), error.message()));
    }

    /** The {@code id} of the request's JSON-RPC call on an MCP route, as raw JSON, or null. */
    String jsonRpcId() {
        McpCall call = admission.mcpCall();
        return call == null ? null : call.id();
    }

    /**
     * Sends one of Breakwater's own errors in place of an upstream head that was taken but never written (the
     * upstream broke off before the first body byte): the client gets a status, not an empty reply.
     */
    void respondBeforeHead(ProxyError error) {
        response.headers().clear();
        state = State.ACTIVE;
        respond(error);
    }

    /** The error shape of the route's API, for Breakwater's own errors. */
    ErrorResponses.Shape errorShape() {
        return ErrorResponses.Shape.of(route.spec().provider());
    }

    /** Marks the exchange finished, gives back all it holds and writes its access-log line; later calls do nothing. */
    void finish(int status, AccessLog.Outcome outcome, String reason) {
        if (state == State.DONE) {
            return;
        }
        state = State.DONE;
        lastReason = reason;
        cancelTimers();
        if (capture != null && admission.holdsKey()) {
            keepForDuplicates(status, outcome);
        }
        admission.release();
        if (body != null) {
            replayMemory.release(body.reservedBytes());
        }
        long durationNanos = runtime.ticker().nanoTime() - startNanos;
        String model = admission.requestedModel();
        route.metrics().request(status, outcome, model, durationNanos, trace);
        route.metrics().traffic().request(status, outcome, attempts, durationNanos);
        TokenUsage tokens = usage();
        String answeredBy = tokens == null && !trace.enabled() ? null : responseModel();
        if (tokens != null) {
            // Labelled by the model asked for, as the request series are, so the two join; the answer's own name
            // (a dated snapshot) only when the request named none.
            route.metrics().tokens(model != null ? model : answeredBy, tokens.inputTokens(), tokens.outputTokens());
        }
        if (trace.enabled()) {
            trace.finished(status, outcome, reason, tokens, answeredBy);
        }
        UpstreamGuard upstream = admission.upstream();
        runtime.accessLog()
                .request(new AccessLog.Entry(
                        requestId,
                        route.name(),
                        request.method().name(),
                        target.path(),
                        status,
                        attempts,
                        durationNanos,
                        outcome,
                        reason,
                        upstream == null ? null : new AccessLog.Upstream(upstream.name(), upstream.address()),
                        model,
                        upstreamRequestId,
                        firstByteNanos,
                        request.bytesRead(),
                        response.bytesWritten(),
                        clientAddress(request),
                        outcome == AccessLog.Outcome.OK || outcome == AccessLog.Outcome.CLIENT_ERROR ? null : lastError,
                        request.getHeader("traceparent"),
                        trace.traceId(),
                        trace.spanId()));
    }

    /** The client's address as the log shows it, or null when the connection has none (a Unix socket). */
    static String clientAddress(HttpServerRequest request) {
        return request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
    }

    /**
     * What duplicates of this request's {@code Idempotency-Key} get: its complete response, or, when it broke off
     * after it started, a refusal (whether the call took effect is unknown). Any other end frees the key (in
     * {@code release()}).
     */
    private void keepForDuplicates(int status, AccessLog.Outcome outcome) {
        if (outcome == AccessLog.Outcome.OK
                || outcome == AccessLog.Outcome.CLIENT_ERROR
                || outcome == AccessLog.Outcome.UPSTREAM_ERROR
                || capture.tooLarge()) {
            capture.finished(this, status, response.headers());
        } else if (outcome == AccessLog.Outcome.INTERRUPTED) {
            admission.keyNotStored(
                    "the first response broke off after it started, so whether it took effect is " + "unknown");
        }
    }

    /** The upstream of the last attempt, or of the refusal; null when none was chosen. */
    String upstreamName() {
        UpstreamGuard upstream = admission.upstream();
        return upstream == null ? null : upstream.name();
    }

    /**
     * Finishes with the relayed response complete.
     *
     * @param upstreamFailed true when the upstream reported an error inside a streamed body
     */
    void finishRelayed(int status, boolean upstreamFailed) {
        finish(
                status,
                upstreamFailed ? AccessLog.Outcome.UPSTREAM_ERROR : AccessLog.Outcome.ofRelayed(status),
                lastReason);
    }

    /**
     * The client went away: stop everything, bill nothing to the upstream's health. A request that holds its
     * {@code Idempotency-Key} and is with the upstream goes on instead, detached, so that its response is stored
     * for the client's own retry (an agent that timed out) rather than the call being made twice.
     */
    void onClientGone() {
        if (state == State.DONE) {
            return;
        }
        if (capture != null && admission.holdsKey() && (currentAttempt != null || relay != null)) {
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

    /** A header as the client sent it, for the guard's rate-limit keys. */
    @Override
    public String header(String name) {
        return request.getHeader(name);
    }

    /** The path the primary upstream receives, without the query, for the rate-limit key (Azure's deployment). */
    @Override
    public String path() {
        return route.upstreamPath(route.spec().upstream(), target.path(), null);
    }

    /** The body's size in bytes, for pacing's token estimate; -1 when a streamed body did not declare it. */
    @Override
    public long bodyLength() {
        if (body instanceof RequestBody.Buffered buffered) {
            return buffered.bytes().length();
        }
        return body instanceof RequestBody.Streamed streamed ? streamed.contentLength() : -1;
    }

    /** The buffered body as a stream, for the model of rate-limit keys and breakers; never copied whole. */
    @Override
    public InputStream bodyStream() {
        return body instanceof RequestBody.Buffered buffered && buffered.bytes().length() > 0
                ? new BufferInputStream(buffered.bytes())
                : null;
    }

    /**
     * Parsed once the body has been read, and kept: the model and the completion-token cap are both read from it,
     * and the body never changes after. Asked before that, the answer is not kept.
     */
    @Override
    public OpenAiBodies.RequestFields jsonFields() {
        if (jsonFields != null) {
            return jsonFields;
        }
        OpenAiBodies.RequestFields fields = OutgoingRequest.super.jsonFields();
        if (body != null) {
            jsonFields = fields;
        }
        return fields;
    }
}
