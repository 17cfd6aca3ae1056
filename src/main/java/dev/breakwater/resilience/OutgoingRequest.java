package dev.breakwater.resilience;

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

    /** The whole body when it is buffered, else null. */
    byte[] bufferedBody();
}
