package dev.breakwater.resilience;

/** The answer to "may attempt N go now?": go, wait (the request is held and resumed later), or refuse. */
public sealed interface Clearance {
    /** Send the attempt now; the breaker's permission for it is taken. */
    Clearance GO = new Go();

    /** Send the attempt now. */
    record Go() implements Clearance {}

    /**
     * The request is held by the rate-limit gate; the callback given with the question runs again, on the
     * request's event loop, when it is released.
     *
     * @param waitMillis about how long until the gate opens (0 when open but earlier requests go first)
     */
    record Wait(long waitMillis) implements Clearance {}

    /** Do not send: answer the client with {@code refusal}. */
    record Refuse(Refusal refusal) implements Clearance {}
}
