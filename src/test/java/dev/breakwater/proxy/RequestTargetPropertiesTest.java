package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of {@link RequestTarget#parse}: whatever a client sends, a path that comes out is rooted, has no dot
 * segment (plain or percent-encoded, even where an upstream would also split at an encoded slash, a backslash or a
 * path parameter), no encoded NUL, and is stable under a second parse; anything else is an
 * {@link IllegalArgumentException}. This is what keeps a request inside its route's prefix.
 */
class RequestTargetPropertiesTest {
    private static final List<String> ALPHABET =
            List.of("/", ".", "..", "%2e", "%2E", "%2f", "%5c", "\\", ";", "a", "b", "?", "%00");

    @Provide
    Arbitrary<String> anyTarget() {
        return Arbitraries.of(ALPHABET).list().ofMaxSize(16).map(parts -> String.join("", parts));
    }

    @Provide
    Arbitrary<String> rootedTarget() {
        return anyTarget().map(rest -> "/" + rest);
    }

    @Provide
    Arbitrary<String> plainTarget() {
        return Arbitraries.of("/a", "/b", "/ab", "/v1", "/chat").list().ofMinSize(1).ofMaxSize(8)
                .map(parts -> String.join("", parts));
    }

    @Property(tries = 3000)
    void anyTargetIsRejectedOrComesOutSafeAndStable(@ForAll("anyTarget") String uri) {
        assertSafeOrRejected(uri);
    }

    @Property(tries = 3000)
    void rootedTargetIsRejectedOrComesOutSafeAndStable(@ForAll("rootedTarget") String uri) {
        assertSafeOrRejected(uri);
    }

    @Property(tries = 300)
    void plainPathsPassUnchanged(@ForAll("plainTarget") String uri) {
        RequestTarget target = RequestTarget.parse(uri);

        assertThat(target.path()).isEqualTo(uri);
        assertThat(target.query()).isNull();
    }

    private static void assertSafeOrRejected(String uri) {
        RequestTarget target;
        try {
            target = RequestTarget.parse(uri);
        } catch (IllegalArgumentException rejected) {
            return;
        }
        String path = target.path();
        assertThat(path).as("path of %s", uri).startsWith("/");
        String lower = path.toLowerCase(Locale.ROOT);
        assertThat(lower).as("path of %s", uri).doesNotContain("%00");
        // No upstream can climb out: not even one that also splits at encoded slashes, backslashes or ';'.
        for (String segment : lower.split("/", -1)) {
            for (String piece : segment.split("%2f|%5c|\\\\", -1)) {
                int parameter = piece.indexOf(';');
                String name = (parameter >= 0 ? piece.substring(0, parameter) : piece).replace("%2e", ".");
                assertThat(name).as("piece %s of path %s parsed from %s", piece, path, uri)
                        .isNotEqualTo(".").isNotEqualTo("..");
            }
        }
        assertThat(RequestTarget.parse(path).path()).as("second parse of %s (from %s)", path, uri).isEqualTo(path);
    }
}
