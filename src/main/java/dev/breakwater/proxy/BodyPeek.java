package dev.breakwater.proxy;

import dev.breakwater.time.Scheduler;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;

/**
 * Reads at most a small prefix of an upstream response body, so an error can be classified before deciding to
 * retry, while the client still gets the body unchanged (the relay sends the prefix, then the rest).
 */
final class BodyPeek {
    /** Enough for any OpenAI error object; longer bodies are classified on their first bytes. */
    static final int LIMIT = 4096;

    /**
     * What was read.
     *
     * @param prefix the bytes read so far
     * @param ended true when that was the whole body
     * @param failure the error that cut the body short, or null
     */
    record Peeked(Buffer prefix, boolean ended, Throwable failure) {}

    private BodyPeek() {}

    /**
     * Reads up to {@link #LIMIT} bytes, or until the body ends or {@code timeoutMillis} passes (0: no limit).
     * The response is left paused, with no handlers, unless it ended.
     */
    static Future<Peeked> read(HttpClientResponse response, Scheduler scheduler, long timeoutMillis) {
        Promise<Peeked> promise = Promise.promise();
        Buffer prefix = Buffer.buffer();
        Scheduler.Cancellable timer = timeoutMillis > 0
                ? scheduler.schedule(timeoutMillis, () -> stop(response, promise, prefix, false, null))
                : Scheduler.Cancellable.NONE;
        response.handler(chunk -> {
            prefix.appendBuffer(chunk);
            if (prefix.length() >= LIMIT) {
                timer.cancel();
                stop(response, promise, prefix, false, null);
            }
        });
        response.endHandler(v -> {
            timer.cancel();
            stop(response, promise, prefix, true, null);
        });
        response.exceptionHandler(t -> {
            timer.cancel();
            stop(response, promise, prefix, false, t);
        });
        response.resume();
        return promise.future();
    }

    private static void stop(
            HttpClientResponse response, Promise<Peeked> promise, Buffer prefix, boolean ended, Throwable failure) {
        if (promise.future().isComplete()) {
            return;
        }
        if (!ended) {
            response.pause();
        }
        response.handler(null);
        response.endHandler(null);
        response.exceptionHandler(null);
        promise.complete(new Peeked(prefix, ended, failure));
    }
}
