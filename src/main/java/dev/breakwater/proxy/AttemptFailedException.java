package dev.breakwater.proxy;

import dev.breakwater.resilience.FailureKind;

/** An upstream attempt that ended before response headers, with the kind of failure it was. */
final class AttemptFailedException extends Exception {
    private final transient FailureKind kind;

    AttemptFailedException(FailureKind kind, Throwable cause) {
        super(
                kind.label() + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage()),
                cause,
                false,
                false);
        this.kind = kind;
    }

    FailureKind kind() {
        return kind;
    }

    /** The cause in words for logs and the status page ({@code connect_refused}, {@code dns_failure}, ...). */
    String causeType() {
        return FailureWords.of(kind, getCause());
    }

    /** The cause's own message (the innermost one that has one), or the failure's kind when none has. */
    String causeMessage() {
        String message = null;
        for (Throwable t = getCause(); t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null) {
                message = t.getMessage();
            }
        }
        return message == null ? kind.label() : message;
    }
}
