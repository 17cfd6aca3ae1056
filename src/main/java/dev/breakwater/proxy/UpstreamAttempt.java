package dev.breakwater.proxy;

import dev.breakwater.config.UpstreamTarget;
import dev.breakwater.resilience.FailureKind;
import dev.breakwater.time.Scheduler.Cancellable;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.streams.Pipe;
import java.nio.channels.ClosedChannelException;

/**
 * One attempt to get response headers from the upstream: connect, send the head and body, and wait up to the
 * route's {@code response} timeout.
 *
 * <p>The returned future succeeds with the response paused (so no body byte is lost while the caller decides)
 * or fails with an {@link AttemptFailedException} saying whether the connect, the exchange or the timer failed.
 *
 * <p><b>Stale pooled connections.</b> An upstream (or a load balancer in front of it) may close an idle
 * keep-alive connection at any moment, and a request written just then meets a closed socket. Within one attempt
 * Breakwater sends the request again on another connection, without counting a retry, only when it can show the
 * upstream did not run it:
 * <ul>
 *   <li>before writing on a reused connection it asks the kernel whether the upstream's FIN already arrived
 *       ({@link UpstreamConnection#peerClosed()}); if so that connection is dropped unused and another is taken;</li>
 *   <li>after a failure, the request is sent again only if the connection was reused (a fresh connection's
 *       failure is the upstream's answer, never a race), no byte of a response arrived on it, and one of: the
 *       request was not completely written (the upstream cannot have a request it never got whole, Go's
 *       {@code nothingWrittenError}); the upstream reset the connection (its kernel sends RST only when the
 *       socket was closed with our bytes unread, or was already closed when they came: its program never read
 *       them), or at its FIN our socket already shows that RST ({@code TCP_CLOSE}) or still holds request bytes
 *       the upstream never acknowledged (see {@link UpstreamConnection#userEventTriggered}); or the request may
 *       be repeated anyway (Go's {@code isReplayable}: a method the route retries, or
 *       an {@code Idempotency-Key}).</li>
 * </ul>
 * A plain FIN after a non-repeatable request was written is ambiguous (the upstream may have read the request and
 * then died) and stays a failure, as in Go's {@code http.Transport}. Chromium resends in that case too; we don't,
 * since a tool call that runs twice is worse than a 502. A streamed (non-replayable) body is never sent again.
 */
final class UpstreamAttempt {
    /** Sends on further connections within one attempt; each needs a reused connection, so the loop ends. */
    private static final int MAX_RESENDS = 3;

    private final Exchange exchange;
    /** The upstream this attempt goes to, chosen by the request's admission. */
    private final UpstreamTarget target;

    private final boolean repeatable;
    private final Promise<HttpClientResponse> result = Promise.promise();
    private final Context context = Vertx.currentContext();
    private Cancellable responseTimer = Cancellable.NONE;
    private HttpClientRequest request;
    private Pipe<Buffer> bodyPipe;
    private boolean cancelled;
    private int resends;

    /**
     * @param repeatable true when the request may run twice (the route retries its method, or it carries an
     *     {@code Idempotency-Key})
     */
    UpstreamAttempt(Exchange exchange, boolean repeatable) {
        this.exchange = exchange;
        this.target = exchange.admission().upstream().target();
        this.repeatable = repeatable;
    }

    Future<HttpClientResponse> send() {
        long responseTimeout = exchange.route().spec().timeouts().response().toMillis();
        if (responseTimeout > 0) {
            responseTimer = exchange.timers().schedule(responseTimeout, this::onResponseTimeout);
        }
        dispatch();
        return result.future();
    }

    private void dispatch() {
        HttpClient client =
                exchange.runtime().clients().clientFor(exchange.route().spec(), target);
        RequestOptions options = new RequestOptions()
                .setMethod(exchange.request().method())
                .setHost(target.upstream().host())
                .setPort(target.upstream().port())
                .setURI(exchange.route()
                        .upstreamPath(
                                target.upstream(),
                                exchange.target().path(),
                                exchange.target().query()));
        client.request(options).onComplete(ar -> {
            if (ar.failed()
                    && ar.cause() instanceof ClosedChannelException
                    && resends < MAX_RESENDS
                    && !cancelled
                    && !result.future().isComplete()) {
                // The pool handed out a connection that closed as it was taken: nothing was sent on it.
                resends++;
                dispatch();
            } else if (ar.failed()) {
                fail(FailureKind.CONNECT_FAILURE, ar.cause());
            } else {
                onConnected(ar.result());
            }
        });
    }

    /** Abandons the attempt: resets the upstream request so the upstream stops work (and billing). */
    void cancel() {
        cancelled = true;
        fail(FailureKind.RESET_BEFORE_HEADERS, null);
        stopRequest();
    }

    private void onConnected(HttpClientRequest req) {
        // Failures arrive through the response future; without a handler Vert.x would also log each reset.
        req.exceptionHandler(t -> {});
        if (cancelled || result.future().isComplete()) {
            req.reset();
            return;
        }
        UpstreamConnection connection = UpstreamConnection.of(req.connection());
        boolean reused = connection != null && connection.startExchange();
        if (reused
                && resends < MAX_RESENDS
                && (connection.peerClosed()
                        || connection.nearKeepAliveExpiry(
                                exchange.runtime().ticker().nanoTime()))) {
            // The upstream closed this idle connection a moment ago, or is about to by its own Keep-Alive
            // timeout; nothing was written, take another.
            resends++;
            req.reset();
            // Wait for the close, so the pool has dropped the connection before another is asked for.
            connection.close(() -> context.runOnContext(v -> dispatch()));
            return;
        }
        long bytesBefore = connection == null ? 0 : connection.bytesRead();
        request = req;
        HeaderPolicy.writeUpstream(exchange.request(), target, exchange.requestId(), req.headers());
        if (exchange.trace().enabled()) {
            // This attempt's own traceparent replaces the client's: the upstream's spans hang under the attempt.
            exchange.trace().injectAttempt(req.headers()::set);
        }
        Future<Void> written = writeBody(req);
        if (reused) {
            written.onSuccess(v -> connection.requestWritten());
        }
        req.response().onComplete(ar -> {
            if (request != req) {
                return;
            }
            if (ar.failed()) {
                boolean nothingCame = connection != null && connection.bytesRead() == bytesBefore;
                if (reused && nothingCame && mayResend(connection, written)) {
                    resends++;
                    request = null;
                    dispatch();
                    return;
                }
                fail(
                        isMalformed(ar.cause()) ? FailureKind.PROTOCOL_ERROR : FailureKind.RESET_BEFORE_HEADERS,
                        ar.cause());
                return;
            }
            HttpClientResponse response = ar.result();
            if (response.statusCode() == 101) {
                // Breakwater never asks for an upgrade; a 101 would turn the connection into something else.
                fail(
                        FailureKind.PROTOCOL_ERROR,
                        new IllegalStateException(
                                "the upstream switched protocols (101) although no upgrade was requested"));
                req.connection().close();
                return;
            }
            if (connection != null) {
                connection.onResponse(exchange.runtime().ticker().nanoTime(), response.getHeader("keep-alive"));
            }
            response.pause();
            responseTimer.cancel();
            if (!result.tryComplete(response)) {
                req.reset();
            }
        });
    }

    /** The resend rule for a reused connection that failed before any response byte (see the class comment). */
    private boolean mayResend(UpstreamConnection connection, Future<Void> written) {
        if (cancelled
                || result.future().isComplete()
                || resends >= MAX_RESENDS
                || !(exchange.body() instanceof RequestBody.Buffered)) {
            return false;
        }
        boolean writtenWhole = written.succeeded();
        return !writtenWhole || repeatable || connection.provedUnread();
    }

    /** True when the upstream's bytes could not be parsed as an HTTP response head. */
    private static boolean isMalformed(Throwable failure) {
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof io.netty.handler.codec.DecoderException
                    || t instanceof IllegalArgumentException
                    || t instanceof io.netty.handler.codec.TooLongFrameException) {
                return true;
            }
        }
        return false;
    }

    /** Writes the body; the future completes once every byte was handed to the socket. */
    private Future<Void> writeBody(HttpClientRequest req) {
        RequestBody body = exchange.body();
        if (body instanceof RequestBody.Buffered buffered) {
            Buffer bytes = ModelMapping.apply(buffered.bytes(), target.models());
            return bytes.length() == 0 ? req.end() : req.end(bytes);
        }
        RequestBody.Streamed streamed = (RequestBody.Streamed) body;
        if (streamed.contentLength() >= 0) {
            req.putHeader("content-length", Long.toString(streamed.contentLength()));
        } else {
            req.setChunked(true);
        }
        if (streamed.prefix().length() > 0) {
            req.write(streamed.prefix());
        }
        // A pipe can be closed when the attempt is abandoned, so no chunk is written to a request already reset.
        bodyPipe = streamed.rest().pipe();
        bodyPipe.endOnFailure(false);
        return bodyPipe.to(req);
    }

    private void onResponseTimeout() {
        // Fail first: the reset below fails the response future too, and the timeout is the real reason.
        fail(FailureKind.RESPONSE_TIMEOUT, null);
        stopRequest();
    }

    /** Stops sending: closes the body pipe first, then resets the upstream request. */
    private void stopRequest() {
        closeBodyPipe();
        if (request != null) {
            HttpClientRequest req = request;
            request = null;
            req.reset();
        }
    }

    private void fail(FailureKind kind, Throwable cause) {
        responseTimer.cancel();
        try {
            closeBodyPipe();
        } finally {
            // Whatever stopping the body did, the attempt must end: a lost failure would hang until the deadline.
            result.tryFail(new AttemptFailedException(kind, cause));
        }
    }

    /** Stops piping a streamed body into a request that failed or is abandoned. */
    private void closeBodyPipe() {
        if (bodyPipe != null) {
            Pipe<Buffer> pipe = bodyPipe;
            bodyPipe = null;
            try {
                pipe.close();
            } catch (IllegalStateException alreadyRead) {
                // The client's body was read to its end: the pipe's source refuses new handlers, and there is
                // nothing left to stop.
            }
            if (request != null) {
                // Closing the pipe unset the request's exception handler; without one Vert.x logs each failure.
                try {
                    request.exceptionHandler(t -> {});
                } catch (IllegalStateException ended) {
                    // the request was sent whole: no failure of it is reported any more
                }
            }
        }
    }
}
