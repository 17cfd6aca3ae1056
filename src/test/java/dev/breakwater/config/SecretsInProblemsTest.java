package dev.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A value that came from {@code ${VAR}} and is rejected is shown as written, with the reference: the
 * substituted text may be a secret, and problems are printed, logged and returned by the admin API.
 */
class SecretsInProblemsTest {
    private static final String SECRET = "Pa55w0rd";
    private final ConfigLoader loader = new ConfigLoader(Map.of(
            "UPSTREAM_URL",
            "https://u:" + SECRET + "@h:badport",
            "CREDS_URL",
            "https://u:" + SECRET + "@h",
            "SECRET_NUMBER",
            SECRET,
            "BLANK",
            "   "));

    private static String route(String upstream, String extra) {
        return "routes:\n  - name: openai\n    path-prefix: /v1/\n    upstream: " + upstream + "\n" + extra;
    }

    static Stream<Arguments> rejectedSubstitutions() {
        return Stream.of(
                Arguments.of(
                        route("\"${UPSTREAM_URL}\"", ""),
                        "t.yaml:4: routes[openai].upstream: \"${UPSTREAM_URL}\" (expected: a URL without user-info (set credentials with headers))"),
                Arguments.of(
                        route("${CREDS_URL}", ""),
                        "t.yaml:4: routes[openai].upstream: ${CREDS_URL} (expected: a URL without user-info (set credentials with headers))"),
                Arguments.of(
                        route("\"https://h:${SECRET_NUMBER}\"", ""),
                        "t.yaml:4: routes[openai].upstream: \"https://h:${SECRET_NUMBER}\" (expected: an absolute http or https URL with a valid host)"),
                Arguments.of(
                        route("https://x:${SECRET_NUMBER}@h", ""),
                        "t.yaml:4: routes[openai].upstream: https://x:${SECRET_NUMBER}@h (expected: a URL without user-info (set credentials with headers))"),
                Arguments.of(
                        route("http://h", "    retry: {max-attempts: \"${SECRET_NUMBER}\"}\n"),
                        "t.yaml:5: routes[openai].retry.max-attempts: \"${SECRET_NUMBER}\" (expected: an integer)"),
                Arguments.of(
                        route("http://h", "    timeouts:\n      connect: ${SECRET_NUMBER}\n"),
                        "t.yaml:6: routes[openai].timeouts.connect: ${SECRET_NUMBER} (expected: a duration such as 250ms, 30s or 2m)"),
                Arguments.of(
                        "listen: ${SECRET_NUMBER}\n" + route("http://h", ""),
                        "t.yaml:1: listen: ${SECRET_NUMBER} (expected: host:port or [ipv6]:port)"),
                Arguments.of(
                        "logging: {level: \"${SECRET_NUMBER:-x}\"}\n" + route("http://h", ""),
                        "t.yaml:1: logging.level: \"${SECRET_NUMBER:-x}\" (expected: one of TRACE, DEBUG, INFO, WARN, ERROR)"),
                Arguments.of(
                        "admin-token: \"${BLANK}\"\n" + route("http://h", ""),
                        "t.yaml:1: admin-token: \"${BLANK}\" (expected: a non-empty token)"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("rejectedSubstitutions")
    void showsTheReferenceAsWrittenNeverTheSubstitutedValue(String yaml, String expectedProblem) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.parse(yaml, "t.yaml"));

        assertThat(e).isNotNull();
        assertThat(e.problems()).containsExactly(expectedProblem);
        assertThat(e.getMessage()).doesNotContain(SECRET);
    }
}
