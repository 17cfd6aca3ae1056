package dev.breakwater.resilience;

/**
 * What pacing granted one attempt: the sequence numbers of its request and of its first token in the key's
 * budget, which the answer's report needs to tell a report of this window from one of the last. -1: not paced.
 */
public record Grant(long requestSeq, long tokenSeq) {
    /** An attempt that pacing did not count. */
    public static final Grant NONE = new Grant(-1, -1);
}
