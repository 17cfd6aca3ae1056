package dev.breakwater.proxy;

import dev.breakwater.resilience.ProviderRules;
import dev.breakwater.resilience.ResponseHead;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientResponse;

/**
 * An upstream answer as the retry decision reads it: a response head, or a refused WebSocket handshake, with the
 * error fields of a peeked body if any. A stream whose first event reported an error is read with that error's
 * status in place of the head's 200.
 *
 * @param headers the answer's headers (case-insensitive), or null when it had none
 */
record UpstreamHead(int status, MultiMap headers, ProviderRules.ErrorFields error) implements ResponseHead {
    UpstreamHead(HttpClientResponse response, ProviderRules.ErrorFields error) {
        this(response.statusCode(), response.headers(), error);
    }

    @Override
    public String header(String name) {
        return headers == null ? null : headers.get(name);
    }

    @Override
    public String errorType() {
        return error.type();
    }

    @Override
    public String errorCode() {
        return error.code();
    }
}
