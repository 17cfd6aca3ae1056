package dev.breakwater.proxy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * A client's request body as the proxy holds it: fully buffered (replayable on every attempt), or too large and
 * streamed through exactly once.
 */
sealed interface RequestBody {

    /** True when every attempt can send the same bytes again. */
    boolean replayable();

    /** The bytes this body holds in the {@link ReplayMemory} budget, given back when its exchange ends. */
    long reservedBytes();

    /** The whole body, buffered up to the route's {@code max-replay-body} and the process's replay budget. */
    record Buffered(Buffer bytes) implements RequestBody {
        @Override
        public boolean replayable() {
            return true;
        }

        @Override
        public long reservedBytes() {
            return bytes.length();
        }
    }

    /**
     * A body over the replay limit (the route's, or the process's budget): the bytes read before the limit was
     * hit, then the rest of the paused client request. It can be sent once.
     *
     * @param prefix the bytes already read
     * @param rest the client request, paused, still delivering the remainder
     * @param contentLength the declared length, or -1 when the client sent it chunked
     */
    record Streamed(Buffer prefix, HttpServerRequest rest, long contentLength) implements RequestBody {
        @Override
        public boolean replayable() {
            return false;
        }

        @Override
        public long reservedBytes() {
            return prefix.length();
        }
    }
}
