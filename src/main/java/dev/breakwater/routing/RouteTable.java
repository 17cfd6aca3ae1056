package dev.breakwater.routing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Maps a request path to its route: the longest matching {@code path-prefix} wins.
 *
 * <p>Immutable, so a reload can swap a whole table atomically. Matching is a scan of plain prefixes ordered
 * longest first: no regular expressions on the request path.
 */
public final class RouteTable {
    private final List<Route> routes;
    private final List<Route> longestPrefixFirst;

    public RouteTable(List<Route> routes) {
        this.routes = List.copyOf(routes);
        List<Route> sorted = new ArrayList<>(routes);
        sorted.sort(Comparator.comparingInt((Route r) -> r.spec().pathPrefix().length())
                .reversed());
        this.longestPrefixFirst = List.copyOf(sorted);
    }

    /** The routes in configuration order. */
    public List<Route> routes() {
        return routes;
    }

    /** The route called {@code name}. */
    public Optional<Route> named(String name) {
        return routes.stream().filter(route -> route.name().equals(name)).findFirst();
    }

    /**
     * The route for {@code rawPath}. A prefix ending in {@code /} also matches the same path without that slash,
     * so {@code /tools/policy} reaches the {@code /tools/policy/} route.
     */
    public Optional<Route> match(String rawPath) {
        for (Route route : longestPrefixFirst) {
            String prefix = route.spec().pathPrefix();
            if (rawPath.startsWith(prefix)
                    || (prefix.endsWith("/")
                            && rawPath.length() == prefix.length() - 1
                            && prefix.startsWith(rawPath))) {
                return Optional.of(route);
            }
        }
        return Optional.empty();
    }
}
