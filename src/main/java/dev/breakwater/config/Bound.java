package dev.breakwater.config;

import java.math.BigDecimal;

/**
 * One side of a numeric range, such as {@code >= 1} or {@code < 1}. Problems name the bound that was
 * violated, e.g. {@code 0 (expected: >= 1)}, which is more direct than quoting the whole range.
 */
record Bound(BigDecimal limit, boolean lower, boolean inclusive) {
    static Bound atLeast(String limit) {
        return new Bound(new BigDecimal(limit), true, true);
    }

    static Bound above(String limit) {
        return new Bound(new BigDecimal(limit), true, false);
    }

    static Bound atMost(String limit) {
        return new Bound(new BigDecimal(limit), false, true);
    }

    static Bound below(String limit) {
        return new Bound(new BigDecimal(limit), false, false);
    }

    boolean admits(BigDecimal value) {
        int c = value.compareTo(limit);
        return lower ? (inclusive ? c >= 0 : c > 0) : (inclusive ? c <= 0 : c < 0);
    }

    @Override
    public String toString() {
        return (lower ? ">" : "<")
                + (inclusive ? "= " : " ")
                + limit.stripTrailingZeros().toPlainString();
    }
}
