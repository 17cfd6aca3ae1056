package dev.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each bad config yields exactly one problem, with its line, YAML path and what was expected. */
class InvalidConfigTest {
    private static final String RETRY_KEYS = "max-attempts, wait-duration, exponential-backoff-multiplier, "
            + "exponential-max-wait-duration, randomized-wait-factor, retry-on-status, retry-methods, "
            + "max-retry-after, max-replay-body, send-x-should-retry, rate-limit-gate";

    private final ConfigLoader loader = new ConfigLoader(Map.of("PRESENT", "x"));

    /** A valid route whose extra lines (indented 4) start at line 5. */
    private static String openai(String extraLines) {
        return """
                routes:
                  - name: openai
                    path-prefix: /v1/
                    upstream: https://api.openai.com
                """ + extraLines.indent(4);
    }

    static Stream<Arguments> badConfigs() {
        return Stream.of(
                Arguments.of(
                        "fallback without upstream",
                        openai("fallbacks:\n  - name: second"),
                        "t.yaml:6: routes[openai].fallbacks[0].upstream: missing (expected: an absolute http or https URL)"),
                Arguments.of(
                        "duplicate fallback name",
                        openai("fallbacks:\n  - {name: openai, upstream: 'https://b.example'}"),
                        "t.yaml:6: routes[openai].fallbacks[0].name: openai (expected: a name not used by another upstream of this route)"),
                Arguments.of(
                        "unknown fallback-on class",
                        openai("fallback-on: [rate-limited, gone]"),
                        "t.yaml:5: routes[openai].fallback-on[1]: gone (expected: one of: rate-limited, circuit-open, server-error, unreachable, timeout)"),
                Arguments.of(
                        "models on a generic upstream",
                        openai("fallbacks:\n  - name: b\n    upstream: https://b.example\n    models: {a: b}"),
                        "t.yaml:8: routes[openai].fallbacks[0].models: not allowed for provider generic, whose requests have no model field (expected: a provider such as openai on this upstream, or no models)"),
                Arguments.of(
                        "empty models",
                        openai(
                                "fallbacks:\n  - name: b\n    upstream: https://b.example\n    provider: openai\n    models: {}"),
                        "t.yaml:9: routes[openai].fallbacks[0].models: empty (expected: client model names mapped to this upstream's, or no models)"),
                Arguments.of(
                        "unknown strategy",
                        openai("strategy: random"),
                        "t.yaml:5: routes[openai].strategy: random (expected: failover or spread)"),
                Arguments.of(
                        "max-attempts 0",
                        openai("retry:\n  max-attempts: 0"),
                        "t.yaml:6: routes[openai].retry.max-attempts: 0 (expected: >= 1)"),
                Arguments.of(
                        "max-attempts 101",
                        openai("retry: {max-attempts: 101}"),
                        "t.yaml:5: routes[openai].retry.max-attempts: 101 (expected: <= 100)"),
                Arguments.of(
                        "unknown top-level key",
                        "lisen: 127.0.0.1:8080\n" + openai(""),
                        "t.yaml:1: lisen: unknown key (expected one of: listen, admin, admin-token, metrics, shutdown-grace, logging, limits, fleet, tracing, defaults, routes)"),
                Arguments.of(
                        "unknown nested key",
                        openai("retry:\n  max-atempts: 3"),
                        "t.yaml:6: routes[openai].retry.max-atempts: unknown key (expected one of: " + RETRY_KEYS
                                + ")"),
                Arguments.of(
                        "unknown key in defaults",
                        "defaults:\n  retries: {}\n" + openai(""),
                        "t.yaml:2: defaults.retries: unknown key (expected one of: timeouts, retry, retry-budget, circuit-breaker, rate-limit, stream, idempotency)"),
                Arguments.of(
                        "quoted string for a boolean",
                        openai("strip-prefix: \"yes\""),
                        "t.yaml:5: routes[openai].strip-prefix: \"yes\" (expected: true or false)"),
                Arguments.of(
                        "YAML 1.1 boolean",
                        openai("strip-prefix: on"),
                        "t.yaml:5: routes[openai].strip-prefix: on (expected: true or false)"),
                Arguments.of(
                        "list where a map is expected",
                        openai("retry: [max-attempts, 3]"),
                        "t.yaml:5: routes[openai].retry: a list (expected: a map)"),
                Arguments.of(
                        "map where a list is expected",
                        openai("retry: {retry-on-status: {a: 1}}"),
                        "t.yaml:5: routes[openai].retry.retry-on-status: a map (expected: a list of HTTP status codes)"),
                Arguments.of(
                        "text where an integer is expected",
                        openai("retry: {max-attempts: three}"),
                        "t.yaml:5: routes[openai].retry.max-attempts: three (expected: an integer)"),
                Arguments.of(
                        "missing upstream",
                        "routes:\n  - name: openai\n    path-prefix: /v1/\n",
                        "t.yaml:2: routes[openai].upstream: missing (expected: an absolute http or https URL)"),
                Arguments.of(
                        "missing path-prefix",
                        "routes:\n  - {name: a, upstream: \"http://a\"}\n",
                        "t.yaml:2: routes[a].path-prefix: missing (expected: a path starting with /)"),
                Arguments.of(
                        "missing name",
                        "routes:\n  - {path-prefix: /, upstream: \"http://a\"}\n",
                        "t.yaml:2: routes[0].name: missing (expected: a name of letters, digits, '.', '_' or '-')"),
                Arguments.of(
                        "invalid name",
                        "routes:\n  - {name: my route, path-prefix: /, upstream: \"http://a\"}\n",
                        "t.yaml:2: routes[0].name: \"my route\" (expected: a name of letters, digits, '.', '_' or '-')"),
                Arguments.of(
                        "relative upstream",
                        "routes:\n  - {name: a, path-prefix: /, upstream: api.openai.com/v1}\n",
                        "t.yaml:2: routes[a].upstream: api.openai.com/v1 (expected: an absolute http or https URL)"),
                Arguments.of(
                        "ftp upstream",
                        "routes:\n  - name: a\n    path-prefix: /\n    upstream: ftp://files.example.com\n",
                        "t.yaml:4: routes[a].upstream: ftp://files.example.com (expected: an absolute http or https URL)"),
                Arguments.of(
                        "upstream with query",
                        "routes:\n  - name: a\n    path-prefix: /\n    upstream: https://x.com/v1?key=1\n",
                        "t.yaml:4: routes[a].upstream: https://x.com/v1?key=1 (expected: a URL without a query)"),
                Arguments.of(
                        "upstream with user-info",
                        "routes:\n  - name: a\n    path-prefix: /\n    upstream: https://u:p@x.com\n",
                        "t.yaml:4: routes[a].upstream: https://u:p@x.com (expected: a URL without user-info (set credentials with headers))"),
                Arguments.of(
                        "upstream port 0",
                        "routes:\n  - name: a\n    path-prefix: /\n    upstream: http://x.com:0\n",
                        "t.yaml:4: routes[a].upstream: http://x.com:0 (expected: a port 1-65535)"),
                Arguments.of(
                        "duplicate route name",
                        openai("") + "  - name: openai\n    path-prefix: /v2/\n    upstream: https://b.com\n",
                        "t.yaml:5: routes[1].name: openai (expected: a name not already used by routes[openai])"),
                Arguments.of(
                        "duplicate path-prefix",
                        openai("") + "  - name: other\n    path-prefix: /v1/\n    upstream: https://b.com\n",
                        "t.yaml:6: routes[other].path-prefix: /v1/ (expected: a prefix not already used by routes[openai])"),
                Arguments.of(
                        "path-prefix without a leading slash",
                        "routes:\n  - {name: a, path-prefix: v1/, upstream: \"http://a\"}\n",
                        "t.yaml:2: routes[a].path-prefix: v1/ (expected: a path starting with /)"),
                Arguments.of(
                        "bad duration",
                        openai("retry: {wait-duration: 5 seconds}"),
                        "t.yaml:5: routes[openai].retry.wait-duration: \"5 seconds\" (expected: a duration such as 250ms, 30s or 2m)"),
                Arguments.of(
                        "bare integer duration",
                        openai("timeouts:\n  response: 120"),
                        "t.yaml:6: routes[openai].timeouts.response: 120 (expected: a duration with a unit, such as 250ms, 30s or 2m)"),
                Arguments.of(
                        "negative duration",
                        openai("timeouts: {idle: -5s}"),
                        "t.yaml:5: routes[openai].timeouts.idle: -5s (expected: >= 0)"),
                Arguments.of(
                        "zero connect timeout",
                        openai("timeouts: {connect: 0s}"),
                        "t.yaml:5: routes[openai].timeouts.connect: 0s (expected: > 0)"),
                Arguments.of(
                        "backoff cap below the first wait",
                        openai("retry: {wait-duration: 30s}"),
                        "t.yaml:5: routes[openai].retry.wait-duration: 30s (expected: <= exponential-max-wait-duration 20s)"),
                Arguments.of(
                        "bad size",
                        openai("retry: {max-replay-body: 8 megs}"),
                        "t.yaml:5: routes[openai].retry.max-replay-body: \"8 megs\" (expected: a size such as 512KiB, 8MiB or 1048576)"),
                Arguments.of(
                        "negative size",
                        openai("retry: {max-replay-body: -1}"),
                        "t.yaml:5: routes[openai].retry.max-replay-body: -1 (expected: >= 0)"),
                Arguments.of(
                        "randomized-wait-factor 1.0",
                        openai("retry: {randomized-wait-factor: 1.0}"),
                        "t.yaml:5: routes[openai].retry.randomized-wait-factor: 1.0 (expected: < 1)"),
                Arguments.of(
                        "backoff multiplier below 1",
                        openai("retry: {exponential-backoff-multiplier: 0.5}"),
                        "t.yaml:5: routes[openai].retry.exponential-backoff-multiplier: 0.5 (expected: >= 1)"),
                Arguments.of(
                        "status 99",
                        openai("retry:\n  retry-on-status: [429, 99]"),
                        "t.yaml:6: routes[openai].retry.retry-on-status[1]: 99 (expected: an HTTP status 100-599)"),
                Arguments.of(
                        "bad method",
                        openai("retry: {retry-methods: [GET, \"PO ST\"]}"),
                        "t.yaml:5: routes[openai].retry.retry-methods[1]: \"PO ST\" (expected: an HTTP method such as GET or POST)"),
                Arguments.of(
                        "unknown provider",
                        openai("provider: gemini"),
                        "t.yaml:5: routes[openai].provider: gemini (expected: one of: generic, openai, azure-openai,"
                                + " anthropic, mcp)"),
                Arguments.of(
                        "ca-file with an http upstream",
                        "routes:\n  - name: tool\n    path-prefix: /\n    upstream: http://tool\n    ca-file: pom.xml\n",
                        "t.yaml:5: routes[tool].ca-file: pom.xml (expected: only with an https upstream)"),
                Arguments.of(
                        "missing ca-file",
                        openai("ca-file: /no/such/ca.pem"),
                        "t.yaml:5: routes[openai].ca-file: /no/such/ca.pem (expected: a readable file)"),
                Arguments.of(
                        "invalid header name",
                        openai("headers: {\"X Bad\": v}"),
                        "t.yaml:5: routes[openai].headers.X Bad: invalid header name (expected: letters, digits and !#$%&'*+-.^_`|~)"),
                Arguments.of(
                        "bad listen address",
                        "listen: localhost\n" + openai(""),
                        "t.yaml:1: listen: localhost (expected: host:port or [ipv6]:port)"),
                Arguments.of(
                        "port 70000",
                        "admin: 127.0.0.1:70000\n" + openai(""),
                        "t.yaml:1: admin: 127.0.0.1:70000 (expected: a port 0-65535)"),
                Arguments.of(
                        "admin on the listen address",
                        "listen: 127.0.0.1:8080\nadmin: 127.0.0.1:8080\n" + openai(""),
                        "t.yaml:2: admin: 127.0.0.1:8080 (expected: an address other than listen's)"),
                Arguments.of(
                        "metrics with a negative model bound",
                        "metrics: {max-models: -1}\n" + openai(""),
                        "t.yaml:1: metrics.max-models: -1 (expected: >= 0)"),
                Arguments.of(
                        "metrics on the admin port",
                        "admin: 127.0.0.1:9901\nmetrics:\n  listen: 0.0.0.0:9901\n" + openai(""),
                        "t.yaml:3: metrics.listen: 0.0.0.0:9901 (expected: a port other than listen's and admin's)"),
                Arguments.of(
                        "unknown key in metrics",
                        "metrics: {listen: 0.0.0.0:9902, path: /m}\n" + openai(""),
                        "t.yaml:1: metrics.path: unknown key (expected one of: listen, max-models)"),
                Arguments.of(
                        "unset environment variable",
                        openai("headers: {Authorization: \"Bearer ${OPENAI_API_KEY}\"}"),
                        "t.yaml:5: routes[openai].headers.Authorization: environment variable OPENAI_API_KEY is not set "
                                + "(write ${OPENAI_API_KEY:-default} to give a default)"),
                Arguments.of(
                        "failure-rate-threshold 0",
                        openai("circuit-breaker: {failure-rate-threshold: 0}"),
                        "t.yaml:5: routes[openai].circuit-breaker.failure-rate-threshold: 0 (expected: > 0)"),
                Arguments.of(
                        "failure-rate-threshold 100.5",
                        openai("circuit-breaker: {failure-rate-threshold: 100.5}"),
                        "t.yaml:5: routes[openai].circuit-breaker.failure-rate-threshold: 100.5 (expected: <= 100)"),
                Arguments.of(
                        "sliding-window-type typo",
                        openai("circuit-breaker: {sliding-window-type: COUNT_BASE}"),
                        "t.yaml:5: routes[openai].circuit-breaker.sliding-window-type: COUNT_BASE (expected: COUNT_BASED or TIME_BASED)"),
                Arguments.of(
                        "empty routes",
                        "routes: []\n",
                        "t.yaml:1: routes: an empty list (expected: a non-empty list of routes)"),
                Arguments.of(
                        "missing routes",
                        "listen: 127.0.0.1:8080\n",
                        "t.yaml:1: routes: missing (expected: a non-empty list of routes)"),
                Arguments.of("empty document", "", "t.yaml: routes: missing (expected: a non-empty list of routes)"),
                Arguments.of(
                        "a route that is not a map",
                        "routes:\n  - openai\n",
                        "t.yaml:2: routes[0]: openai (expected: a map)"),
                Arguments.of("top level not a map", "- routes\n", "t.yaml:1: (top level): a list (expected: a map)"),
                Arguments.of(
                        "duplicate key",
                        openai("retry: {max-attempts: 2, max-attempts: 3}"),
                        "t.yaml:5: routes[openai].retry.max-attempts: duplicate key (expected: each key once)"),
                Arguments.of(
                        "YAML syntax error",
                        "routes:\n  - name: openai\n    path-prefix: [/v1/\n",
                        "t.yaml:4: invalid YAML: expected ',' or ']', but got <stream end> (while parsing a flow sequence)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigs")
    void reportsTheProblem(String description, String yaml, String expectedProblem) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.parse(yaml, "t.yaml"));

        assertThat(e).as("no ConfigException for: " + description).isNotNull();
        assertThat(e.problems()).containsExactly(expectedProblem);
        assertThat(e).hasMessage(expectedProblem);
    }

    @Test
    void reportsAllProblemsTogetherInDocumentOrder() {
        String yaml = """
                listen: 127.0.0.1:70000
                routes:
                  - name: openai
                    path-prefix: v1
                    upstream: https://api.openai.com
                    retry:
                      max-atempts: 3
                """;
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.parse(yaml, "t.yaml"));

        assertThat(e.problems())
                .containsExactly(
                        "t.yaml:1: listen: 127.0.0.1:70000 (expected: a port 0-65535)",
                        "t.yaml:4: routes[openai].path-prefix: v1 (expected: a path starting with /)",
                        "t.yaml:7: routes[openai].retry.max-atempts: unknown key (expected one of: " + RETRY_KEYS
                                + ")");
        assertThat(e.getMessage()).isEqualTo(String.join("\n", e.problems()));
    }

    @Test
    void reportsAnInheritedDefaultsProblemOnceAtItsDefaultsPath() {
        String yaml = """
                defaults:
                  retry: {max-attempts: 0}
                routes:
                  - {name: a, path-prefix: /a/, upstream: "http://a"}
                  - {name: b, path-prefix: /b/, upstream: "http://b"}
                """;
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.parse(yaml, "t.yaml"));

        assertThat(e.problems()).containsExactly("t.yaml:2: defaults.retry.max-attempts: 0 (expected: >= 1)");
    }

    @Test
    void reportsABadCombinationInDefaultsOnceAndAtRoutesThatMakeIt() {
        String yaml = """
                defaults:
                  retry: {wait-duration: 1m}
                routes:
                  - {name: a, path-prefix: /a/, upstream: "http://a"}
                  - {name: b, path-prefix: /b/, upstream: "http://b", retry: {exponential-max-wait-duration: 2m}}
                  - {name: c, path-prefix: /c/, upstream: "http://c", retry: {exponential-max-wait-duration: 10s}}
                """;
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.parse(yaml, "t.yaml"));

        assertThat(e.problems())
                .containsExactly(
                        "t.yaml:2: defaults.retry.wait-duration: 1m (expected: <= exponential-max-wait-duration 20s)",
                        "t.yaml:6: routes[c].retry.exponential-max-wait-duration: 10s (expected: >= wait-duration 1m)");
    }

    @Test
    void reportsEveryBadItemOfAList() {
        ConfigException e = catchThrowableOfType(
                ConfigException.class,
                () -> loader.parse(openai("circuit-breaker:\n  record-status: [500, 600, abc]"), "t.yaml"));

        assertThat(e.problems())
                .containsExactly(
                        "t.yaml:6: routes[openai].circuit-breaker.record-status[1]: 600 (expected: an HTTP status 100-599)",
                        "t.yaml:6: routes[openai].circuit-breaker.record-status[2]: abc (expected: an HTTP status 100-599)");
    }

    @Test
    void keepsTheFileOrderOfProblems() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.parse("""
                routes:
                  - {name: a, path-prefix: /a/, upstream: "http://a", retry: {max-attempts: 0}}
                  - {name: b, path-prefix: /b/, upstream: "http://b", retry: {max-attempts: 0}}
                defaults:
                  timeouts: {connect: 0}
                """, "t.yaml"));

        assertThat(e.problems())
                .isEqualTo(List.of(
                        "t.yaml:2: routes[a].retry.max-attempts: 0 (expected: >= 1)",
                        "t.yaml:3: routes[b].retry.max-attempts: 0 (expected: >= 1)",
                        "t.yaml:5: defaults.timeouts.connect: 0 (expected: > 0)"));
    }
}
