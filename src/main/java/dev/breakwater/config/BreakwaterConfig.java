package dev.breakwater.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole validated configuration: where to listen and which routes to serve.
 *
 * <p>Built once by {@link ConfigLoader} from YAML; every value is already parsed, defaulted and checked, so
 * runtime code never sees raw strings or maps.
 *
 * @param listen the proxy listener (default {@code 127.0.0.1:8080})
 * @param admin the admin listener for health and readiness (default {@code 127.0.0.1:9901})
 * @param routes the routes in file order; names and path prefixes are unique
 * @param adminToken the bearer token the admin API requires; always set when admin is not on loopback
 * @param shutdownGrace how long in-flight requests may run after SIGTERM (default 30s)
 * @param logging log level and format
 * @param limits connection, timeout and memory bounds of the proxy listener
 * @param fleet the Redis shared with other instances, when configured
 * @param metrics the metrics-only listener and the bound on model labels
 * @param tracing where OpenTelemetry traces go, as far as the file says (the environment may add to it)
 */
public record BreakwaterConfig(
        HostPort listen,
        HostPort admin,
        List<RouteSpec> routes,
        Optional<String> adminToken,
        Duration shutdownGrace,
        LoggingSpec logging,
        ListenerLimits limits,
        Optional<FleetSpec> fleet,
        MetricsSpec metrics,
        TracingSpec tracing) {
    /** The default shutdown grace. */
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);

    public BreakwaterConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(admin, "admin");
        routes = List.copyOf(routes);
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(tracing, "tracing");
    }

    /** Never print the token. */
    @Override
    public String toString() {
        return "BreakwaterConfig[listen=" + listen + ", admin=" + admin + ", routes=" + routes
                + ", adminToken=" + adminToken.map(t -> "***").orElse("none") + ", shutdownGrace=" + shutdownGrace
                + ", logging=" + logging + ", limits=" + limits + ", fleet=" + fleet + ", metrics=" + metrics
                + ", tracing=" + tracing + "]";
    }
}
