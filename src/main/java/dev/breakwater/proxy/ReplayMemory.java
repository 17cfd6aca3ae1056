package dev.breakwater.proxy;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The process-wide budget for request bodies held in replay buffers. Every event loop reserves the bytes it
 * buffers here, chunk by chunk as they arrive (never from a declared {@code Content-Length}), and gives them back
 * when its exchange ends. A body whose next chunk does not fit is not buffered further: it is streamed to the
 * upstream once, without replay, so a crowd of large uploads costs bounded memory and loses no request.
 */
public final class ReplayMemory {
    private final long limit;
    private final AtomicLong used = new AtomicLong();

    /**
     * @param limitBytes the most all replay buffers together may hold
     */
    public ReplayMemory(long limitBytes) {
        if (limitBytes < 0) {
            throw new IllegalArgumentException("limit must be >= 0: " + limitBytes);
        }
        this.limit = limitBytes;
    }

    /** Reserves {@code bytes} if they fit under the limit; false (and nothing reserved) otherwise. */
    boolean tryReserve(long bytes) {
        while (true) {
            long now = used.get();
            long next = now + bytes;
            if (next > limit) {
                return false;
            }
            if (used.compareAndSet(now, next)) {
                return true;
            }
        }
    }

    /**
     * Counts bytes already in memory that must be held anyway (the chunk that did not fit, kept as the prefix of
     * a streamed body). The overdraft is at most one chunk per request.
     */
    void reserveOverdraft(long bytes) {
        used.addAndGet(bytes);
    }

    /** Gives back bytes reserved earlier. */
    void release(long bytes) {
        if (bytes > 0) {
            used.addAndGet(-bytes);
        }
    }

    /** The bytes reserved now. */
    public long used() {
        return used.get();
    }

    /** The limit in bytes. */
    public long limit() {
        return limit;
    }
}
