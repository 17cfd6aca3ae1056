package dev.breakwater.resilience;

/**
 * What the retry decision may read of an upstream response: its status, its headers, and (for an OpenAI error
 * that was peeked at) the error's {@code type} and {@code code}.
 */
public interface ResponseHead {
    /** The HTTP status. */
    int status();

    /** The first value of header {@code name} (case-insensitive), or null. */
    String header(String name);

    /** The error body's {@code error.type}, or null when unknown. */
    default String errorType() {
        return null;
    }

    /** The error body's {@code error.code}, or null when unknown. */
    default String errorCode() {
        return null;
    }
}
