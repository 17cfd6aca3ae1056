package dev.breakwater.proxy;

import io.vertx.core.MultiMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Copies headers across the proxy without the hop-by-hop ones (RFC 9110 section 7.6.1): the fixed set, and every
 * field the message's own {@code Connection} header names.
 */
final class HopByHopHeaders {
    private static final Set<String> HOP_BY_HOP = Set.of(
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
     * @param alsoSkip names the caller sets itself, built with {@link #caseInsensitive}
     */
    static void copy(MultiMap from, MultiMap to, Set<String> alsoSkip) {
        Set<String> nominated = nominatedBy(from.getAll("connection"));
        for (Map.Entry<String, String> header : from) {
            String name = header.getKey();
            // Most clients send lower-case names, for which toLowerCase returns the same string: no allocation.
            String lower = name.toLowerCase(Locale.ROOT);
            if (HOP_BY_HOP.contains(lower)
                    || alsoSkip.contains(lower)
                    || (nominated != null && nominated.contains(lower))) {
                continue;
            }
            to.add(name, header.getValue());
        }
    }

    /** A set of header names for {@code alsoSkip}; matched case-insensitively by {@link #copy}. */
    static Set<String> caseInsensitive(String... names) {
        Set<String> set = new HashSet<>();
        for (String name : names) {
            set.add(name.toLowerCase(Locale.ROOT));
        }
        return Set.copyOf(set);
    }

    private static Set<String> nominatedBy(java.util.List<String> connectionValues) {
        if (connectionValues.isEmpty()) {
            return null;
        }
        Set<String> names = new HashSet<>();
        for (String value : connectionValues) {
            for (String token : value.split(",")) {
                String trimmed = token.trim().toLowerCase(Locale.ROOT);
                if (!trimmed.isEmpty()) {
                    names.add(trimmed);
                }
            }
        }
        return names;
    }
}
