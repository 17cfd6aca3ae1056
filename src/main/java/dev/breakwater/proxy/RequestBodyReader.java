package dev.breakwater.proxy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;

/**
 * Reads a client's request body into a bounded replay buffer. A body that declares, or turns out to have, more
 * than the route's limit, or whose next chunk does not fit in the process's {@link ReplayMemory}, is handed on as
 * {@link RequestBody.Streamed} so that it is forwarded once and never retried.
 *
 * <p>Memory follows the bytes that arrived, never the declared length: a client that announces 8 MiB and sends
 * nothing holds nothing.
 */
final class RequestBodyReader {
    private static final RequestBody.Buffered EMPTY = new RequestBody.Buffered(Buffer.buffer(0));
    /** The first allocation for a body of unknown or large size; the buffer grows as bytes arrive. */
    private static final int INITIAL_CAPACITY = 16 * 1024;

    private RequestBodyReader() {}

    /**
     * @return the body; on failure (the client went away mid-body) nothing stays reserved in {@code memory}
     */
    static Future<RequestBody> read(HttpServerRequest request, long maxReplayBytes, ReplayMemory memory) {
        long declared = contentLength(request);
        if (declared <= 0 && !isChunked(request)) {
            return Future.succeededFuture(EMPTY);
        }
        if (declared > maxReplayBytes) {
            request.pause();
            return Future.succeededFuture(new RequestBody.Streamed(Buffer.buffer(0), request, declared));
        }
        Promise<RequestBody> promise = Promise.promise();
        Buffer bytes = Buffer.buffer(declared > 0 ? (int) Math.min(declared, INITIAL_CAPACITY) : 1024);
        request.handler(chunk -> {
            boolean fits = bytes.length() + chunk.length() <= maxReplayBytes && memory.tryReserve(chunk.length());
            if (!fits) {
                memory.reserveOverdraft(chunk.length());
            }
            bytes.appendBuffer(chunk);
            if (!fits) {
                request.pause();
                request.handler(null);
                request.endHandler(null);
                request.exceptionHandler(null);
                promise.tryComplete(new RequestBody.Streamed(bytes, request, declared));
            }
        });
        request.endHandler(v -> promise.tryComplete(new RequestBody.Buffered(bytes)));
        request.exceptionHandler(t -> {
            if (promise.tryFail(t)) {
                memory.release(bytes.length());
            }
        });
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
                && (request.version() != HttpVersion.HTTP_1_0
                        && (request.getHeader("transfer-encoding") != null || request.version() == HttpVersion.HTTP_2));
    }
}
