package dev.breakwater.proxy;

import dev.breakwater.config.StreamSpec;
import dev.breakwater.resilience.FailureKind;
import dev.breakwater.resilience.StreamDialect;
import dev.breakwater.resilience.StreamEvents;
import dev.breakwater.time.Scheduler;
import dev.breakwater.time.Scheduler.Cancellable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;

/**
 * Holds a streamed success response back from the client until its first event that carries content, so that a
 * stream failing before it (cut, an error event, silence past {@code stream.first-event-timeout}) is an attempt
 * failure the retry loop may retry, unseen by the client. Until then every byte is kept, whole events only (see
 * {@link EventFramer}), up to {@code stream.max-held}; a longer preamble commits the stream at that point.
 *
 * <p>The outcome is {@link Held} (commit these bytes, or classify the error event they end with) or
 * {@link Broken}; the response is left paused with no handlers unless it ended.
 */
final class FirstEventWait {
    /** What came before the decision. */
    sealed interface Outcome permits Held, Broken {}

    /**
     * The stream may be committed with {@code bytes} first, or, when {@code reported} is set, the upstream reported
     * a failure in its last held event.
     *
     * @param bytes every complete event received so far
     * @param ended true when the upstream's body already ended
     * @param framer the framer that cut {@code bytes}, holding any incomplete event that follows
     * @param reported the error the upstream reported in the stream, or null
     */
    record Held(Buffer bytes, boolean ended, EventFramer framer, StreamEvents.Failure reported) implements Outcome {}

    /** The stream broke off, ended without content, or stayed silent, before its first content event. */
    record Broken(FailureKind kind, Throwable cause) implements Outcome {}

    private final HttpClientResponse response;
    private final StreamDialect dialect;
    private final boolean emptyIsFailure;
    private final StreamSpec spec;
    private final Promise<Outcome> result = Promise.promise();
    private final EventFramer framer = new EventFramer();
    private final Buffer held = Buffer.buffer();
    private Cancellable timer = Cancellable.NONE;
    private boolean content;
    private StreamEvents.Failure reported;

    /**
     * @param emptyIsFailure true when a stream that ends without any content event is a failure (an LLM API's
     *     stream always carries content or an error; a generic one may legitimately be empty)
     */
    FirstEventWait(HttpClientResponse response, StreamDialect dialect, boolean emptyIsFailure, StreamSpec spec) {
        this.response = response;
        this.dialect = dialect;
        this.emptyIsFailure = emptyIsFailure;
        this.spec = spec;
    }

    Future<Outcome> start(Scheduler scheduler) {
        long timeout = spec.firstEventTimeout().toMillis();
        if (timeout > 0) {
            timer = scheduler.schedule(timeout, () -> stop(new Broken(FailureKind.FIRST_EVENT_TIMEOUT, null), false));
        }
        response.handler(this::onChunk);
        response.endHandler(v -> onEnd());
        response.exceptionHandler(t -> stop(new Broken(FailureKind.STREAM_CUT_BEFORE_FIRST_EVENT, t), false));
        response.resume();
        return result.future();
    }

    /** Gives up the wait (the request ended meanwhile): the upstream request is reset. */
    void cancel() {
        if (result.tryFail("cancelled")) {
            timer.cancel();
            unhook();
            response.request().reset();
        }
    }

    private void onChunk(Buffer chunk) {
        held.appendBuffer(framer.feed(chunk, this::onEvent));
        if (reported != null || content) {
            stop(new Held(held, false, framer, reported), false);
        } else if (held.length() >= spec.maxHeld()) {
            // A preamble this long (or a stream that never frames an event): commit rather than hold more.
            stop(new Held(held, false, framer, null), false);
        }
    }

    private void onEvent(Buffer bytes, int start, int end) {
        if (content || reported != null) {
            return;
        }
        EventFramer.Fields fields = EventFramer.Fields.of(bytes, start, end);
        StreamEvents.Verdict verdict = StreamEvents.classify(dialect, fields.event(), fields.data());
        if (verdict instanceof StreamEvents.Failure failure) {
            reported = failure;
        } else if (verdict instanceof StreamEvents.Content) {
            content = true;
        }
    }

    private void onEnd() {
        if (emptyIsFailure && reported == null && !content) {
            String what = held.length() == 0 ? "any event" : "any content event";
            stop(
                    new Broken(
                            FailureKind.STREAM_CUT_BEFORE_FIRST_EVENT,
                            new IllegalStateException("the event stream ended without " + what)),
                    true);
        } else {
            stop(new Held(held, true, framer, reported), true);
        }
    }

    private void stop(Outcome outcome, boolean ended) {
        if (result.future().isComplete()) {
            return;
        }
        timer.cancel();
        if (!ended) {
            response.pause();
        }
        unhook();
        result.complete(outcome);
    }

    private void unhook() {
        response.handler(null);
        response.endHandler(null);
        response.exceptionHandler(null);
    }
}
