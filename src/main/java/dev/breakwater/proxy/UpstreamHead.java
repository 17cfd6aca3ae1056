package dev.breakwater.proxy;

import dev.breakwater.resilience.ProviderRules;
import dev.breakwater.resilience.ResponseHead;
import io.vertx.core.http.HttpClientResponse;

/**
 * An upstream response as the retry decision reads it, with the error fields of a peeked body if any. A stream
 * whose first event reported an error is read with that error's status in place of the head's 200.
 */
final class UpstreamHead implements ResponseHead {
    private final HttpClientResponse response;
    private final int status;
    private final ProviderRules.ErrorFields error;

    UpstreamHead(HttpClientResponse response, ProviderRules.ErrorFields error) {
        this(response, response.statusCode(), error);
    }

    UpstreamHead(HttpClientResponse response, int status, ProviderRules.ErrorFields error) {
        this.response = response;
        this.status = status;
        this.error = error;
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public String header(String name) {
        return response.getHeader(name);
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
