package dev.breakwater.proxy;

import java.util.ArrayList;
import java.util.List;

/**
 * The path and query of a request target, still percent-encoded, with dot-segments removed. An absolute-form
 * target ({@code http://other-host/x}) keeps only its path and query: the authority is never used to pick a host,
 * so a client cannot turn Breakwater into an open proxy.
 *
 * <p>The path is normalised before any route is matched (RFC 3986 §5.2.4), with {@code %2e} read as {@code .}, so
 * that a route's prefix is checked against the path the upstream will resolve: {@code /t/../admin} is
 * {@code /admin}, which the {@code /t/} route does not match. What an upstream might resolve differently from
 * the RFC is refused rather than guessed at: a dot-segment hidden behind an encoded slash or backslash
 * ({@code ..%2fadmin}, {@code ..\admin}) or a path parameter ({@code ..;/admin}, which Tomcat reads as
 * {@code ..}), a NUL byte, and a {@code ..} above the root. Other encoded slashes ({@code a%2Fb}) pass unchanged.
 *
 * @param path the path, starting with {@code /}, without dot-segments
 * @param query the query without {@code ?}, or null
 */
record RequestTarget(String path, String query) {

    /** A request target that cannot be forwarded safely; the message says why. */
    static final class InvalidTargetException extends IllegalArgumentException {
        InvalidTargetException(String message) {
            super(message, null);
        }
    }

    /**
     * Splits and normalises a request target.
     *
     * @throws InvalidTargetException when the path would leave the root or hides a dot-segment
     */
    static RequestTarget parse(String uri) {
        String rest = uri;
        int scheme = uri.startsWith("/") ? -1 : uri.indexOf("://");
        if (scheme > 0) {
            int authorityEnd = scheme + 3;
            while (authorityEnd < uri.length() && "/?#".indexOf(uri.charAt(authorityEnd)) < 0) {
                authorityEnd++;
            }
            rest = uri.substring(authorityEnd);
        }
        int fragment = rest.indexOf('#');
        if (fragment >= 0) {
            rest = rest.substring(0, fragment);
        }
        int q = rest.indexOf('?');
        String path = q >= 0 ? rest.substring(0, q) : rest;
        String query = q >= 0 ? rest.substring(q + 1) : null;
        if (!path.startsWith("/")) {
            path = "/" + path;
        }
        return new RequestTarget(normalise(path), query);
    }

    /** The path without dot-segments; the common path with no {@code .}, {@code %}, {@code \} or {@code ;} is returned as is. */
    static String normalise(String path) {
        if (!needsNormalising(path)) {
            return path;
        }
        List<String> out = new ArrayList<>();
        int start = 1;
        boolean trailingSlash = false;
        while (start <= path.length()) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = path.length();
            }
            String segment = path.substring(start, end);
            boolean last = end == path.length();
            int dots = dotSegment(segment);
            if (dots == 1) {
                trailingSlash = last;
            } else if (dots == 2) {
                if (out.isEmpty()) {
                    throw new InvalidTargetException("the path climbs above the root with '..'");
                }
                out.remove(out.size() - 1);
                trailingSlash = last;
            } else {
                checkNoHiddenDots(segment);
                out.add(segment);
                trailingSlash = false;
            }
            start = end + 1;
        }
        StringBuilder normalised = new StringBuilder(path.length());
        for (String segment : out) {
            normalised.append('/').append(segment);
        }
        if (trailingSlash || normalised.length() == 0) {
            normalised.append('/');
        }
        return normalised.toString();
    }

    private static boolean needsNormalising(String path) {
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '.' || c == '%' || c == '\\' || c == ';') {
                return true;
            }
        }
        return false;
    }

    /** 1 for {@code .}, 2 for {@code ..} (either with {@code %2e} for any dot), 0 for any other segment. */
    private static int dotSegment(String segment) {
        String decoded = decodeDots(segment);
        if (decoded.equals(".")) {
            return 1;
        }
        return decoded.equals("..") ? 2 : 0;
    }

    /**
     * Refuses a segment that some upstream could still read as a dot-segment: pieces split by an encoded slash or
     * backslash, a raw backslash, or cut at a path parameter ({@code ;}), and any NUL byte.
     */
    private static void checkNoHiddenDots(String segment) {
        String lower = segment.toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("%00")) {
            throw new InvalidTargetException("the path contains an encoded NUL byte");
        }
        if (segment.indexOf('.') < 0 && !lower.contains("%2e")) {
            return;
        }
        for (String piece : lower.split("%2f|%5c|\\\\", -1)) {
            int parameter = piece.indexOf(';');
            String name = decodeDots(parameter >= 0 ? piece.substring(0, parameter) : piece);
            if (name.equals(".") || name.equals("..")) {
                throw new InvalidTargetException(
                        "the path hides a dot-segment behind an encoded separator or " + "a path parameter");
            }
        }
    }

    private static String decodeDots(String text) {
        if (text.length() > 6) {
            return text; // longer than "%2e%2e": never a dot-segment, and no need to copy
        }
        return text.replace("%2e", ".").replace("%2E", ".");
    }
}
