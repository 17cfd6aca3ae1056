package dev.breakwater.proxy;

import dev.breakwater.resilience.FailureKind;
import dev.breakwater.resilience.RouteBreaker;
import dev.breakwater.time.Scheduler.Cancellable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;

/**
 * One attempt to get response headers from the upstream: connect, send the head and body, and wait up to the
 * route's {@code response} timeout.
 *
 * <p>The returned future succeeds with the response paused (so no body byte is lost while the caller decides)
 * or fails with an {@link AttemptFailedException} saying whether the connect, the exchange or the timer failed.
 */
final class UpstreamAttempt {
    private final Exchange exchange;
    private final RouteBreaker.Permit permit;
    private final Promise<HttpClientResponse> result = Promise.promise();
    private Cancellable responseTimer = Cancellable.NONE;
    private HttpClientRequest request;
    private boolean cancelled;

    /**
     * @param permit the circuit breaker's permission for this attempt, or null when the route has no breaker
     */
    UpstreamAttempt(Exchange exchange, RouteBreaker.Permit permit) {
        this.exchange = exchange;
        this.permit = permit;
    }

    /** Reports the attempt's outcome to the breaker: response headers with {@code status}. */
    void recordResponse(int status) {
        if (permit != null) {
            permit.onResponse(status);
        }
    }

    /** Reports the attempt's failure to the breaker. */
    void recordFailure(Throwable cause) {
        if (permit != null) {
            permit.onFailure(cause);
        }
    }

    /** Gives the breaker's permission back unused (harmless once an outcome was recorded). */
    void releasePermit() {
        if (permit != null) {
            permit.release();
        }
    }

    Future<HttpClientResponse> send() {
        long responseTimeout = exchange.route.spec().timeouts().response().toMillis();
        if (responseTimeout > 0) {
            responseTimer = exchange.runtime.scheduler().schedule(responseTimeout, this::onResponseTimeout);
        }
        HttpClient client = exchange.runtime.clients().clientFor(exchange.route.spec());
        RequestOptions options = new RequestOptions()
                .setMethod(exchange.request.method())
                .setHost(exchange.route.spec().upstream().host())
                .setPort(exchange.route.spec().upstream().port())
                .setURI(exchange.route.upstreamPath(exchange.target.path(), exchange.target.query()));
        client.request(options).onComplete(ar -> {
            if (ar.failed()) {
                fail(FailureKind.CONNECT_FAILURE, ar.cause());
            } else {
                onConnected(ar.result());
            }
        });
        return result.future();
    }

    /** Abandons the attempt: resets the upstream request so the upstream stops work (and billing). */
    void cancel() {
        cancelled = true;
        releasePermit();
        fail(FailureKind.RESET_BEFORE_HEADERS, null);
        if (request != null) {
            request.reset();
        }
    }

    private void onConnected(HttpClientRequest req) {
        if (cancelled || result.future().isComplete()) {
            req.reset();
            return;
        }
        request = req;
        exchange.writeUpstreamHeaders(req.headers());
        req.response().onComplete(ar -> {
            if (ar.failed()) {
                fail(FailureKind.RESET_BEFORE_HEADERS, ar.cause());
                return;
            }
            HttpClientResponse response = ar.result();
            response.pause();
            responseTimer.cancel();
            if (!result.tryComplete(response)) {
                req.reset();
            }
        });
        writeBody(req);
    }

    private void writeBody(HttpClientRequest req) {
        RequestBody body = exchange.body;
        if (body instanceof RequestBody.Buffered buffered) {
            if (buffered.bytes().length() == 0) {
                req.end();
            } else {
                req.end(buffered.bytes());
            }
        } else if (body instanceof RequestBody.Streamed streamed) {
            if (streamed.contentLength() >= 0) {
                req.putHeader("content-length", Long.toString(streamed.contentLength()));
            } else {
                req.setChunked(true);
            }
            if (streamed.prefix().length() > 0) {
                req.write(streamed.prefix());
            }
            streamed.rest().pipeTo(req);
        }
    }

    private void onResponseTimeout() {
        // Fail first: the reset below fails the response future too, and the timeout is the real reason.
        fail(FailureKind.RESPONSE_TIMEOUT, null);
        if (request != null) {
            request.reset();
        }
    }

    private void fail(FailureKind kind, Throwable cause) {
        responseTimer.cancel();
        result.tryFail(new AttemptFailedException(kind, cause));
    }
}
