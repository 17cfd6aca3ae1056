package dev.breakwater.proxy;

import io.vertx.core.MultiMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Copies headers across the proxy without the hop-by-hop ones (RFC 9110 section 7.6.1): the fixed set, and every
 * field the message's own {@code Connection} header names.
 */
final class HopByHopHeaders {
    private static final Set<String> HOP_BY_HOP = caseInsensitive(
            "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
            "te", "trailer", "transfer-encoding", "upgrade", "http2-settings");

    private HopByHopHeaders() {
    }

    /**
     * Adds to {@code to} every header of {@code from} that is end-to-end and not in {@code alsoSkip}.
     *
     * @param alsoSkip lower- or mixed-case names the caller sets itself (compared case-insensitively)
     */
    static void copy(MultiMap from, MultiMap to, Set<String> alsoSkip) {
        Set<String> nominated = nominatedBy(from.getAll("connection"));
        for (Map.Entry<String, String> header : from) {
            String name = header.getKey();
            if (HOP_BY_HOP.contains(name) || alsoSkip.contains(name)
                    || (nominated != null && nominated.contains(name))) {
                continue;
            }
            to.add(name, header.getValue());
        }
    }

    /** A case-insensitive set of names, for {@code alsoSkip}. */
    static Set<String> caseInsensitive(String... names) {
        Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        set.addAll(java.util.List.of(names));
        return set;
    }

    private static Set<String> nominatedBy(java.util.List<String> connectionValues) {
        if (connectionValues.isEmpty()) {
            return null;
        }
        Set<String> names = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        for (String value : connectionValues) {
            for (String token : value.split(",")) {
                String trimmed = token.trim();
                if (!trimmed.isEmpty()) {
                    names.add(trimmed);
                }
            }
        }
        return names;
    }
}
