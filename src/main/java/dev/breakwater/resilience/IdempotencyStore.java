package dev.breakwater.resilience;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The requests seen with an {@code Idempotency-Key}, so that a duplicate (an agent's own retry, an SDK's retry on
 * top of Breakwater's) never runs the tool twice: while the first is in flight a duplicate is told so (or waits
 * for it), after it finished a duplicate gets the stored response, and a key reused for another body is refused.
 *
 * <p>A key is scoped by the caller's credential (a SHA-256 fingerprint), the route, the method and the path; the
 * body is compared by its SHA-256. Neither credentials nor request bodies are kept. The store holds at most
 * {@code maxKeys} keys and about {@code maxBytes} of them (a key with a small response takes about 600 bytes),
 * the oldest given up first, each until its {@code ttl}; it lives in memory and is lost on restart.
 *
 * <p>Thread-safe: one instance per route, shared by every event loop. A waiter's callback runs on the thread
 * that finished the first request; it must hop to its own event loop.
 */
public final class IdempotencyStore {
    private static final HexFormat HEX = HexFormat.of();

    /** What a request with a key may do. */
    public sealed interface Claim permits First, InFlight, Replay, Mismatch, NotStored {}

    /**
     * The first request with this key: it goes upstream, and its {@link Ticket} records how it ended (null in a
     * fleet's answer, which has no ticket here).
     */
    public record First(Ticket ticket) implements Claim {}

    /**
     * The first request with this key is still in flight.
     *
     * @param retryAfterSeconds about when it may have finished
     * @param ticket the first request's ticket, to wait on ({@link Ticket#whenDone}); null when the first is on
     *     another instance of the fleet
     */
    public record InFlight(long retryAfterSeconds, Ticket ticket) implements Claim {}

    /** The first request with this key finished: this is its response. */
    public record Replay(StoredResponse response) implements Claim {}

    /** The key was used before for a request with another body. */
    public record Mismatch() implements Claim {}

    /**
     * The first request with this key finished, but its response was not kept.
     *
     * @param reason why, for the client
     */
    public record NotStored(String reason) implements Claim {}

    /** What a key costs besides its response: the map entry, the key, the body hash, the entry and its ticket. */
    private static final long ENTRY_WEIGHT = 400;

    private final int maxKeys;
    private final long maxBytes;
    private final LongSupplier clockMillis;
    /** The fleet's records, when there is a fleet: a duplicate on another instance is caught there. */
    private final Optional<SharedKeys> shared;
    /** Names this store's claims in the fleet's records. */
    private final String instance = Long.toHexString(new java.util.Random().nextLong());

    private final AtomicLong claims = new AtomicLong();
    private final LinkedHashMap<String, Entry> entries;
    /** About the bytes held by all entries (guarded by {@code entries}). */
    private long bytes;

    /**
     * @param maxKeys the most keys kept; one more gives up the oldest
     * @param maxBytes about the most memory the keys and their responses may take; more gives up the oldest
     * @param clockMillis the wall clock's milliseconds, for the keys' time to live
     * @param shared the fleet's records, or empty without a fleet
     */
    public IdempotencyStore(int maxKeys, long maxBytes, LongSupplier clockMillis, Optional<SharedKeys> shared) {
        this.maxKeys = maxKeys;
        this.maxBytes = maxBytes;
        this.clockMillis = clockMillis;
        this.shared = shared;
        this.entries = new LinkedHashMap<>();
    }

    /**
     * Claims {@code key} here and, in a fleet, in the fleet's records, and hands the answer to {@code answer} on
     * {@code loop} (inline when no fleet is asked). When the fleet cannot be reached, this instance's answer
     * stands: duplicates on this instance are still caught.
     *
     * @see #claim(String, byte[], long, long)
     */
    public void claim(
            String key, byte[] bodyHash, long ttlMillis, long expectedMillis, Executor loop, Consumer<Claim> answer) {
        Claim local = claim(key, bodyHash, ttlMillis, expectedMillis);
        if (shared.isEmpty() || !(local instanceof First first)) {
            answer.accept(local);
            return;
        }
        String owner = instance + ":" + claims.incrementAndGet();
        shared.get()
                .claim(
                        key,
                        bodyHash,
                        owner,
                        expectedMillis,
                        (fleetClaim, failure) -> loop.execute(() -> {
                            if (failure != null || fleetClaim instanceof First) {
                                if (failure == null) {
                                    first.ticket().shareAs(owner);
                                }
                                answer.accept(local);
                                return;
                            }
                            // Another instance holds the key, or held it: its answer wins, and this claim is given
                            // back.
                            first.ticket().release();
                            answer.accept(fleetClaim);
                        }));
    }

    /**
     * The key under which a request is recorded: a SHA-256 over the caller's credential, the route, the method, the
     * path and the client's {@code Idempotency-Key}.
     *
     * @param credential the client's credential header value, or null
     */
    public static String key(String credential, String route, String method, String path, String idempotencyKey) {
        String scope = (credential == null ? "" : GateKeys.fingerprint(credential))
                + '\n'
                + route
                + '\n'
                + method
                + '\n'
                + path
                + '\n'
                + idempotencyKey;
        return HEX.formatHex(GateKeys.sha256(scope.getBytes(StandardCharsets.UTF_8)));
    }

    /** The SHA-256 of a request body, to tell a duplicate from another request reusing its key. */
    public static byte[] bodyHash(byte[] body) {
        return GateKeys.sha256(body);
    }

    /**
     * Records a request with {@code key} and says what it may do.
     *
     * @param ttlMillis how long a finished request's outcome is kept
     * @param expectedMillis about how long the request may take, for a duplicate's {@code Retry-After}
     */
    public Claim claim(String key, byte[] bodyHash, long ttlMillis, long expectedMillis) {
        long now = clockMillis.getAsLong();
        synchronized (entries) {
            Entry entry = entries.get(key);
            if (entry != null && entry.expiresAtMillis <= now) {
                remove(key);
                entry = null;
            }
            if (entry == null) {
                Ticket ticket = new Ticket(key, ttlMillis);
                entries.put(key, new Entry(bodyHash, ticket, now + expectedMillis));
                bytes += ENTRY_WEIGHT;
                makeRoom();
                return new First(ticket);
            }
            if (!Arrays.equals(entry.bodyHash, bodyHash)) {
                return new Mismatch();
            }
            if (entry.response != null) {
                return new Replay(entry.response);
            }
            if (entry.notStored != null) {
                return new NotStored(entry.notStored);
            }
            long left = Math.max(1, (entry.expiresAtMillis - now + 999) / 1000);
            return new InFlight(left, entry.ticket);
        }
    }

    /** Gives up the oldest keys while there are too many, or they take too much memory. Holds {@code entries}. */
    private void makeRoom() {
        var oldest = entries.entrySet().iterator();
        while ((entries.size() > maxKeys || bytes > maxBytes) && oldest.hasNext()) {
            Entry entry = oldest.next().getValue();
            bytes -= entry.weight();
            oldest.remove();
        }
    }

    /** Forgets {@code key}. Holds {@code entries}. */
    private void remove(String key) {
        Entry entry = entries.remove(key);
        if (entry != null) {
            bytes -= entry.weight();
        }
    }

    /** Keys held now (finished or in flight). */
    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    /** One recorded key. */
    private static final class Entry {
        final byte[] bodyHash;
        final Ticket ticket;
        /** While in flight: when the request should be done; once finished: when the key is forgotten. */
        long expiresAtMillis;

        StoredResponse response;
        String notStored;

        Entry(byte[] bodyHash, Ticket ticket, long expiresAtMillis) {
            this.bodyHash = bodyHash;
            this.ticket = ticket;
            this.expiresAtMillis = expiresAtMillis;
        }

        long weight() {
            return ENTRY_WEIGHT + (response == null ? 0 : response.weight());
        }
    }

    /** The first request's hold on its key: it ends with {@link #complete}, {@link #notStored} or {@link #release}. */
    public final class Ticket {
        private final String key;
        private final long ttlMillis;
        private final List<Consumer<Claim>> waiters = new ArrayList<>(0);
        private boolean done;
        /** The owner name of this claim in the fleet's records, or null when it holds none there. */
        private volatile String fleetOwner;

        private Ticket(String key, long ttlMillis) {
            this.key = key;
            this.ttlMillis = ttlMillis;
        }

        /** The claim holds the key in the fleet's records too, as {@code owner}. */
        void shareAs(String owner) {
            fleetOwner = owner;
        }

        /** The request finished with {@code response}: duplicates within the time to live get it. */
        public void complete(StoredResponse response) {
            end(entry -> entry.response = response, new Replay(response));
            String owner = fleetOwner;
            if (owner != null) {
                shared.orElseThrow().complete(key, owner, response, ttlMillis);
            }
        }

        /** The request finished but its response is not kept ({@code reason}): duplicates are refused with it. */
        public void notStored(String reason) {
            end(entry -> entry.notStored = reason, new NotStored(reason));
            String owner = fleetOwner;
            if (owner != null) {
                shared.orElseThrow().notStored(key, owner, reason, ttlMillis);
            }
        }

        /**
         * The request ended without an outcome worth keeping (a failure retrying may fix, or it never reached the
         * upstream): the key is free again, and a waiting duplicate goes upstream itself.
         */
        public void release() {
            synchronized (entries) {
                if (done) {
                    return;
                }
                done = true;
                Entry entry = entries.get(key);
                if (entry != null && entry.ticket == this) {
                    remove(key);
                }
            }
            String owner = fleetOwner;
            if (owner != null) {
                shared.orElseThrow().release(key, owner);
            }
            notifyWaiters(null);
        }

        /**
         * Calls {@code waiter} once this request ended: with its {@link Replay} or {@link NotStored}, or with null
         * when the key was released. At once when it already ended.
         */
        public void whenDone(Consumer<Claim> waiter) {
            Claim claim;
            synchronized (entries) {
                if (!done) {
                    waiters.add(waiter);
                    return;
                }
                Entry entry = entries.get(key);
                claim = entry == null || entry.ticket != this
                        ? null
                        : entry.response != null ? new Replay(entry.response) : new NotStored(entry.notStored);
            }
            waiter.accept(claim);
        }

        private void end(Consumer<Entry> outcome, Claim claim) {
            synchronized (entries) {
                if (done) {
                    return;
                }
                done = true;
                Entry entry = entries.get(key);
                if (entry == null || entry.ticket != this) {
                    // Given up for room meanwhile: nothing to keep.
                    claim = null;
                } else {
                    outcome.accept(entry);
                    bytes += entry.response == null ? 0 : entry.response.weight();
                    entry.expiresAtMillis = clockMillis.getAsLong() + ttlMillis;
                    makeRoom();
                }
            }
            notifyWaiters(claim);
        }

        private void notifyWaiters(Claim claim) {
            List<Consumer<Claim>> toCall;
            synchronized (entries) {
                toCall = List.copyOf(waiters);
                waiters.clear();
            }
            toCall.forEach(w -> w.accept(claim));
        }
    }
}
