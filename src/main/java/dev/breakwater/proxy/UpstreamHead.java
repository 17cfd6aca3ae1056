package dev.breakwater.proxy;

import dev.breakwater.resilience.ProviderRules;
import dev.breakwater.resilience.ResponseHead;
import io.vertx.core.http.HttpClientResponse;

/** An upstream response as the retry decision reads it, with the error fields of a peeked body if any. */
final class UpstreamHead implements ResponseHead {
    private final HttpClientResponse response;
    private final ProviderRules.ErrorFields error;

    UpstreamHead(HttpClientResponse response, ProviderRules.ErrorFields error) {
        this.response = response;
        this.error = error;
    }

    @Override
    public int status() {
        return response.statusCode();
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
