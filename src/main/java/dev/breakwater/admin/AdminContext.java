package dev.breakwater.admin;

import dev.breakwater.observability.Metrics;
import dev.breakwater.observability.RecentDecisions;
import dev.breakwater.routing.RouteTable;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the admin listener reads and controls.
 *
 * @param ready whether the proxy takes traffic (false while starting or draining)
 * @param routes the live route table
 * @param metrics the meter registry to scrape
 * @param decisions recent retry decisions, for the status page
 * @param reload re-reads the configuration file and applies it if valid
 * @param token the bearer token every admin call but the probes needs, when set
 * @param fleet the fleet's state, for {@code /admin/fleet}
 * @param status version, uptime, configuration file and last reload, for {@code /admin/status}
 */
public record AdminContext(
        BooleanSupplier ready,
        Supplier<RouteTable> routes,
        Metrics metrics,
        RecentDecisions decisions,
        Supplier<Future<ReloadResult>> reload,
        Optional<String> token,
        Supplier<JsonObject> fleet,
        InstanceStatus status) {}
