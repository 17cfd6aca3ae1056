package dev.breakwater.testing;

/** YAML snippets for test configurations: fast, deterministic retry settings. */
public final class Routes {
    private Routes() {
    }

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
        yaml.append("  - name: ").append(name).append('\n')
                .append("    path-prefix: ").append(prefix).append('\n')
                .append("    upstream: ").append(upstream).append('\n');
        for (String line : extra) {
            yaml.append(line).append('\n');
        }
        return yaml.toString();
    }
}
