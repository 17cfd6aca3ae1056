package dev.breakwater.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * Checks an {@code Authorization} header against the admin token. The scheme name is matched ignoring case
 * (RFC 7235 section 2.1 and RFC 6750: {@code bearer}, {@code Bearer} and {@code BEARER} are the same scheme), the
 * token byte for byte in constant time, so that response timing does not reveal how much of a guess was right.
 */
final class BearerToken {
    private static final String SCHEME = "Bearer";

    private final byte[] token;

    BearerToken(String token) {
        this.token = Objects.requireNonNull(token, "token").getBytes(StandardCharsets.UTF_8);
    }

    /** True when {@code header} is {@code Bearer <token>}, the scheme in any case, one or more spaces between. */
    boolean matches(String header) {
        if (header == null
                || header.length() <= SCHEME.length()
                || !header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())
                || header.charAt(SCHEME.length()) != ' ') {
            return false;
        }
        int start = SCHEME.length();
        while (start < header.length() && header.charAt(start) == ' ') {
            start++;
        }
        // isEqual's time depends only on the lengths, never on where the first difference is
        return MessageDigest.isEqual(token, header.substring(start).getBytes(StandardCharsets.UTF_8));
    }
}
