package dev.breakwater.proxy;

import dev.breakwater.resilience.FailureKind;
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
    private final Promise<HttpClientResponse> result = Promise.promise();
    private Cancellable responseTimer = Cancellable.NONE;
    private HttpClientRequest request;
    private boolean cancelled;

    UpstreamAttempt(Exchange exchange) {
        this.exchange = exchange;
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
        req.headers().addAll(exchange.upstreamHeaders());
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
