package dev.breakwater.testing;

/** YAML snippets for test configurations: fast, deterministic retry settings. */
public final class Routes {
    private Routes() {}

    /**
     * A config with one route {@code name} at {@code prefix} to {@code upstream}, 3 attempts, 10 ms waits without
     * jitter and no circuit breaker (tests of retries must not trip it), plus {@code extra} lines indented under the route (for example {@code "    strip-prefix: true"}).
     */
    public static String oneRoute(String name, String prefix, String upstream, String... extra) {
        StringBuilder yaml = new StringBuilder("""
                defaults:
                  timeouts: {connect: 2s, response: 5s, idle: 5s, total: 30s}
                  retry:
                    max-attempts: 3
                    wait-duration: 10ms
                    randomized-wait-factor: 0
                  circuit-breaker: {enabled: false}
                routes:
                """);
        yaml.append("  - name: ")
                .append(name)
                .append('\n')
                .append("    path-prefix: ")
                .append(prefix)
                .append('\n')
                .append("    upstream: ")
                .append(upstream)
                .append('\n');
        for (String line : extra) {
            yaml.append(line).append('\n');
        }
        return yaml.toString();
    }

    /**
     * The shipped {@code openai} route (provider openai, POST retried, 4 attempts) to {@code upstreamPort}, with
     * 10 ms waits without jitter and {@code retryExtras} added to the defaults' retry section.
     */
    /**
     * An {@code openai} route that retries POSTs (4 attempts, 50 ms first backoff), with {@code rateLimit} as its
     * {@code rate-limit} section (a YAML flow map such as {@code {pacing: true}}).
     */
    public static String pacedOpenAi(int upstreamPort, String rateLimit) {
        return """
                routes:
                  - name: openai
                    path-prefix: /v1/
                    upstream: http://127.0.0.1:%d
                    provider: openai
                    retry: {retry-methods: [GET, POST], max-attempts: 4, wait-duration: 50ms}
                    rate-limit: %s
                """.formatted(upstreamPort, rateLimit);
    }

    public static String openAi(int upstreamPort, String retryExtras) {
        return """
                defaults:
                  retry: {wait-duration: 10ms, randomized-wait-factor: 0%s}
                routes:
                  - name: openai
                    path-prefix: /v1/
                    upstream: http://127.0.0.1:%d
                    provider: openai
                    retry: {retry-methods: [GET, POST], max-attempts: 4}
                """.formatted(retryExtras.isEmpty() ? "" : ", " + retryExtras, upstreamPort);
    }
}
