package dev.breakwater.resilience;

import java.io.InputStream;

/** What a rate-limit key may read of the request as the upstream will see it; read only when a key is needed. */
public interface OutgoingRequest {
    /** The value of header {@code name} (lower case) the client sent, or null. */
    String header(String name);

    /**
     * The path the upstream receives (the upstream's base path joined with the client's path, minus a stripped
     * prefix), still percent-encoded, without the query; null when unknown.
     */
    default String path() {
        return null;
    }

    /** The body's size in bytes, or -1 when unknown. */
    default long bodyLength() {
        return -1;
    }

    /**
     * The whole body as a new stream over the buffered bytes (no copy is made), or null when the body is not
     * buffered or empty.
     */
    InputStream bodyStream();

    /**
     * The top-level JSON fields of the body that admission reads (model, completion-token cap). Parsed from
     * {@link #bodyStream} on each call; an implementation whose body cannot change may keep the first answer.
     */
    default OpenAiBodies.RequestFields jsonFields() {
        InputStream body = bodyStream();
        return body == null ? OpenAiBodies.RequestFields.NONE : OpenAiBodies.requestFields(body);
    }
}
