package dev.breakwater.resilience;

/**
 * What pacing granted one attempt, handed back with its answer: the sequence numbers of its request and of its
 * first token in the key's budget (which tell a report of this window from one of the last), and its token count.
 * A leased grant has {@code requestSeq} -1 and the shared window's number as {@code tokenSeq}. {@link #NONE}: not
 * paced.
 */
public record Grant(long requestSeq, long tokenSeq, long tokens) {
    /** An attempt that pacing did not count. */
    public static final Grant NONE = new Grant(-1, -1, 0);
}
