package dev.breakwater.config;

import java.util.List;
import java.util.Objects;

/**
 * The whole validated configuration: where to listen and which routes to serve.
 *
 * <p>Built once by {@link ConfigLoader} from YAML; every value is already parsed, defaulted and checked, so
 * runtime code never sees raw strings or maps.
 *
 * @param listen the proxy listener (default {@code 127.0.0.1:8080})
 * @param admin the admin listener for health and readiness (default {@code 127.0.0.1:9901})
 * @param routes the routes in file order; names and path prefixes are unique
 */
public record BreakwaterConfig(HostPort listen, HostPort admin, List<RouteSpec> routes) {
    public BreakwaterConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(admin, "admin");
        routes = List.copyOf(routes);
    }
}
