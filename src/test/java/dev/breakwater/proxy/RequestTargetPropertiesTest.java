package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testing.Samples;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Properties of {@link RequestTarget#parse}: whatever a client sends, a path that comes out is rooted, has no dot
 * segment (plain or percent-encoded, even where an upstream would also split at an encoded slash, a backslash or a
 * path parameter), no encoded NUL, and is stable under a second parse; anything else is an
 * {@link IllegalArgumentException}. This is what keeps a request inside its route's prefix.
 */
class RequestTargetPropertiesTest {
    private static final List<String> ALPHABET =
            List.of("/", ".", "..", "%2e", "%2E", "%2f", "%5c", "\\", ";", "a", "b", "?", "%00");

    @Test
    void anyTargetIsRejectedOrComesOutSafeAndStable() {
        Samples.check(
                21,
                3000,
                random -> Samples.joined(random, ALPHABET, 16),
                RequestTargetPropertiesTest::assertSafeOrRejected);
    }

    @Test
    void rootedTargetIsRejectedOrComesOutSafeAndStable() {
        Samples.check(
                22,
                3000,
                random -> "/" + Samples.joined(random, ALPHABET, 16),
                RequestTargetPropertiesTest::assertSafeOrRejected);
    }

    @Test
    void plainPathsPassUnchanged() {
        List<String> plain = List.of("/a", "/b", "/ab", "/v1", "/chat");
        Samples.check(
                23, 300, random -> plain.get(random.nextInt(plain.size())) + Samples.joined(random, plain, 7), uri -> {
                    RequestTarget target = RequestTarget.parse(uri);

                    assertThat(target.path()).isEqualTo(uri);
                    assertThat(target.query()).isNull();
                });
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
                assertThat(name)
                        .as("piece %s of path %s parsed from %s", piece, path, uri)
                        .isNotEqualTo(".")
                        .isNotEqualTo("..");
            }
        }
        assertThat(RequestTarget.parse(path).path())
                .as("second parse of %s (from %s)", path, uri)
                .isEqualTo(path);
    }
}
