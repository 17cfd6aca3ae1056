package dev.breakwater.resilience;

import java.util.function.BiConsumer;

/**
 * The {@code Idempotency-Key} records a fleet shares (on its Redis), so that a duplicate that lands on another
 * Breakwater is caught too. Every call is asynchronous and may fail (Redis down): the caller then decides on its
 * own store alone. Records hold hashes, the status, the response's headers and body, never a credential.
 */
public interface SharedKeys {
    /**
     * Claims {@code key} for {@code owner}, or says what became of the request that holds it.
     *
     * @param inFlightMillis how long an unfinished claim holds the key (an instance that died frees it then)
     * @param done receives the claim ({@link IdempotencyStore.InFlight} without a ticket), or the failure
     */
    void claim(
            String key,
            byte[] bodyHash,
            String owner,
            long inFlightMillis,
            BiConsumer<IdempotencyStore.Claim, Throwable> done);

    /** The owner's request finished with {@code response}, kept for {@code ttlMillis}. */
    void complete(String key, String owner, StoredResponse response, long ttlMillis);

    /** The owner's request reached the upstream but its response is not kept, for {@code reason}. */
    void notStored(String key, String owner, String reason, long ttlMillis);

    /** The owner's request ended without an outcome worth keeping: the key is free again. */
    void release(String key, String owner);
}
