package dev.breakwater.proxy;

import io.vertx.core.MultiMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Copies headers across the proxy without the hop-by-hop ones (RFC 9110 section 7.6.1): the fixed set, and every
 * field the message's own {@code Connection} header names.
 */
final class HopByHopHeaders {
    private static final HeaderNames HOP_BY_HOP = HeaderNames.of(
            "connection",
            "keep-alive",
            "proxy-connection",
            "proxy-authenticate",
            "proxy-authorization",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade",
            "http2-settings");

    private HopByHopHeaders() {}

    /**
     * Adds to {@code to} every header of {@code from} that is end-to-end and not in {@code alsoSkip}.
     *
     * @param alsoSkip names the caller sets itself
     */
    static void copy(MultiMap from, MultiMap to, HeaderNames alsoSkip) {
        Set<String> nominated = nominatedBy(from.getAll("connection"));
        // forEach, not the entry iterator: Vert.x wraps every entry it iterates in a new object.
        from.forEach((name, value) -> {
            if (!HOP_BY_HOP.contains(name)
                    && !alsoSkip.contains(name)
                    && (nominated == null || !nominated.contains(name.toLowerCase(Locale.ROOT)))) {
                to.add(name, value);
            }
        });
    }

    /**
     * The names a {@code Connection} header nominates beyond the fixed hop-by-hop set, lower case; null when there
     * are none ({@code Connection: keep-alive}, the usual value, names only a hop-by-hop field already skipped).
     */
    private static Set<String> nominatedBy(java.util.List<String> connectionValues) {
        if (connectionValues.isEmpty()) {
            return null;
        }
        Set<String> names = null; // made only for a name beyond the fixed set: rare
        for (String value : connectionValues) {
            for (String token : value.split(",")) {
                String trimmed = token.trim().toLowerCase(Locale.ROOT);
                if (!trimmed.isEmpty() && !HOP_BY_HOP.contains(trimmed)) {
                    if (names == null) {
                        names = new HashSet<>();
                    }
                    names.add(trimmed);
                }
            }
        }
        return names;
    }
}
