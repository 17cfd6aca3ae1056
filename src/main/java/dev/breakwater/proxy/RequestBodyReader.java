package dev.breakwater.proxy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * Reads a client's request body into a bounded replay buffer. A body that declares, or turns out to have, more
 * than the limit is handed on as {@link RequestBody.Streamed} so that it is forwarded once and never retried.
 */
final class RequestBodyReader {
    private static final RequestBody.Buffered EMPTY = new RequestBody.Buffered(Buffer.buffer(0));

    private RequestBodyReader() {
    }

    static Future<RequestBody> read(HttpServerRequest request, long maxReplayBytes) {
        long declared = contentLength(request);
        if (declared <= 0 && !isChunked(request)) {
            return Future.succeededFuture(EMPTY);
        }
        if (declared > maxReplayBytes) {
            request.pause();
            return Future.succeededFuture(new RequestBody.Streamed(Buffer.buffer(0), request, declared));
        }
        Promise<RequestBody> promise = Promise.promise();
        Buffer bytes = Buffer.buffer(declared > 0 ? (int) declared : 1024);
        request.handler(chunk -> {
            bytes.appendBuffer(chunk);
            if (bytes.length() > maxReplayBytes) {
                request.pause();
                request.handler(null);
                request.endHandler(null);
                promise.tryComplete(new RequestBody.Streamed(bytes, request, declared));
            }
        });
        request.endHandler(v -> promise.tryComplete(new RequestBody.Buffered(bytes)));
        request.exceptionHandler(promise::tryFail);
        return promise.future();
    }

    private static long contentLength(HttpServerRequest request) {
        String value = request.getHeader("content-length");
        if (value == null) {
            return -1;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean isChunked(HttpServerRequest request) {
        // HTTP/2 bodies have no Transfer-Encoding; treat a missing length as "read until end".
        return request.getHeader("content-length") == null
                && (request.version() != io.vertx.core.http.HttpVersion.HTTP_1_0
                    && (request.getHeader("transfer-encoding") != null
                        || request.version() == io.vertx.core.http.HttpVersion.HTTP_2));
    }
}
