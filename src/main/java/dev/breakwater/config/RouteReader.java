package dev.breakwater.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads the routes of one document. One instance per document, because path prefixes must be unique across
 * its routes.
 */
final class RouteReader {
    static final List<String> KEYS = Stream.concat(
                    Stream.of(
                            "name",
                            "path-prefix",
                            "upstream",
                            "strip-prefix",
                            "provider",
                            "headers",
                            "ca-file",
                            "fallbacks",
                            "fallback-on",
                            "strategy"),
                    Policies.keys().stream())
            .toList();

    static final String NAME = "a name of letters, digits, '.', '_' or '-'";
    private static final String PATH_PREFIX = "a path starting with /";
    private static final String UPSTREAM = "an absolute http or https URL";
    private static final Pattern NAME_PATTERN = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern PREFIX_PATTERN = Pattern.compile("/[^\\s?#]*");
    private static final ValueReader<Boolean> BOOL = Readers.bool();
    private static final ValueReader<Provider> PROVIDER = Readers.oneOf(Provider.values(), Provider::yamlName);
    private static final ValueReader<FallbackClass> FALLBACK_CLASS =
            Readers.oneOf(FallbackClass.values(), FallbackClass::yamlName);
    private static final ValueReader<Strategy> STRATEGY = Readers.oneOf(Strategy.values(), Strategy::yamlName);
    /** Enough for any sensible chain; the admission keeps one bit per upstream in a long. */
    static final int MAX_FALLBACKS = 16;

    private static final List<String> FALLBACK_KEYS =
            List.of("name", "upstream", "provider", "headers", "ca-file", "models");

    private final Policies defaults;
    /** Prefix to the label of the route that has it. */
    private final Map<String, String> prefixOwners = new HashMap<>();

    RouteReader(Policies defaults) {
        this.defaults = defaults;
    }

    /** A route's {@code name} value, checked for syntax only (uniqueness is the caller's). */
    static Optional<String> readName(YamlValue value) {
        return value.text(NAME).filter(name -> {
            boolean ok = NAME_PATTERN.matcher(name).matches();
            if (!ok) {
                value.reject(NAME);
            }
            return ok;
        });
    }

    /**
     * Reads one route.
     *
     * @param route the route's map, already at its {@code routes[NAME]} or {@code routes[INDEX]} path
     * @param name the route's usable name, read and reported on beforehand; empty if it has none
     * @return the route, or empty if it has problems (which have been reported)
     */
    Optional<RouteSpec> read(YamlValue route, Optional<String> name) {
        Optional<YamlSection> maybeSection = route.section(KEYS);
        if (maybeSection.isEmpty()) {
            return Optional.empty();
        }
        YamlSection section = maybeSection.get();
        section.require("name", NAME); // its value was read already, under the route's index path
        Optional<String> prefix = section.require("path-prefix", PATH_PREFIX).flatMap(this::pathPrefix);
        prefix.ifPresent(p -> prefixOwners.putIfAbsent(p, route.path().toString()));
        Optional<UpstreamSpec> upstream = section.require("upstream", UPSTREAM).flatMap(RouteReader::upstream);
        boolean stripPrefix =
                section.get("strip-prefix").map(v -> BOOL.read(v).orElse(false)).orElse(false);
        Provider provider = section.get("provider")
                .map(v -> PROVIDER.read(v).orElse(Provider.GENERIC))
                .orElse(Provider.GENERIC);
        Optional<Map<String, String>> headers =
                section.get("headers").map(RouteReader::headers).orElse(Optional.of(Map.of()));
        Optional<Optional<Path>> caFile = section.get("ca-file")
                .map(v -> caFile(v, upstream).map(Optional::of))
                .orElse(Optional.of(Optional.empty()));
        Policies policies = defaults.readOver(Optional.of(section));
        Optional<List<UpstreamTarget>> fallbacks = section.get("fallbacks")
                .map(v -> fallbacks(v, name.orElse(""), provider))
                .orElse(Optional.of(List.of()));
        Optional<Set<FallbackClass>> fallbackOn =
                section.get("fallback-on").map(RouteReader::fallbackOn).orElse(Optional.of(FallbackClass.ALL));
        Optional<Strategy> strategy =
                section.get("strategy").map(STRATEGY::read).orElse(Optional.of(Strategy.FAILOVER));

        if (name.isEmpty()
                || prefix.isEmpty()
                || upstream.isEmpty()
                || headers.isEmpty()
                || caFile.isEmpty()
                || fallbacks.isEmpty()
                || fallbackOn.isEmpty()
                || strategy.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new RouteSpec(
                name.get(),
                prefix.get(),
                upstream.get(),
                stripPrefix,
                provider,
                headers.get(),
                caFile.get(),
                policies.timeouts(),
                policies.retry(),
                policies.retryBudget(),
                policies.circuitBreaker(),
                fallbacks.get(),
                fallbackOn.get(),
                strategy.get(),
                policies.rateLimit(),
                policies.stream(),
                policies.idempotency()));
    }

    /** The {@code fallbacks} list: every item is read, so every problem is reported at once. */
    private static Optional<List<UpstreamTarget>> fallbacks(YamlValue v, String routeName, Provider routeProvider) {
        return v.list("a list of fallback upstreams").flatMap(items -> {
            if (items.size() > MAX_FALLBACKS) {
                v.problem("has " + items.size() + " fallbacks (expected: at most " + MAX_FALLBACKS + ")");
                return Optional.empty();
            }
            List<UpstreamTarget> targets = new ArrayList<>();
            Set<String> names = new HashSet<>();
            names.add(routeName);
            boolean ok = true;
            for (YamlValue item : items) {
                Optional<UpstreamTarget> target = fallback(item, names, routeProvider);
                ok &= target.isPresent();
                target.ifPresent(targets::add);
            }
            return ok ? Optional.of(targets) : Optional.empty();
        });
    }

    private static Optional<UpstreamTarget> fallback(YamlValue item, Set<String> names, Provider routeProvider) {
        Optional<YamlSection> maybeSection = item.section(FALLBACK_KEYS);
        if (maybeSection.isEmpty()) {
            return Optional.empty();
        }
        YamlSection section = maybeSection.get();
        Optional<String> name = section.require("name", NAME)
                .flatMap(RouteReader::readName)
                .filter(n -> {
                    if (!names.add(n)) {
                        section.get("name").orElseThrow().reject("a name not used by another upstream of this route");
                        return false;
                    }
                    return true;
                });
        Optional<UpstreamSpec> upstream = section.require("upstream", UPSTREAM).flatMap(RouteReader::upstream);
        Optional<Provider> provider =
                section.get("provider").map(PROVIDER::read).orElse(Optional.of(routeProvider));
        Optional<Map<String, String>> headers =
                section.get("headers").map(RouteReader::headers).orElse(Optional.of(Map.of()));
        Optional<Optional<Path>> caFile = section.get("ca-file")
                .map(v -> caFile(v, upstream).map(Optional::of))
                .orElse(Optional.of(Optional.empty()));
        Optional<Map<String, String>> models =
                section.get("models").map(v -> models(v, provider)).orElse(Optional.of(Map.of()));
        if (name.isEmpty()
                || upstream.isEmpty()
                || provider.isEmpty()
                || headers.isEmpty()
                || caFile.isEmpty()
                || models.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new UpstreamTarget(
                name.get(), upstream.get(), provider.get(), headers.get(), caFile.get(), models.get()));
    }

    /** Model rewrites need a provider whose requests name a model in their JSON body. */
    private static Optional<Map<String, String>> models(YamlValue v, Optional<Provider> provider) {
        if (provider.isPresent() && (provider.get() == Provider.GENERIC || provider.get() == Provider.MCP)) {
            v.problem("not allowed for provider " + provider.get().yamlName()
                    + ", whose requests have no model field (expected: a provider such"
                    + " as openai on this upstream, or no models)");
            return Optional.empty();
        }
        return v.entries("a map of client model names to this upstream's model names")
                .flatMap(entries -> {
                    if (entries.isEmpty()) {
                        v.problem("empty (expected: client model names mapped to this upstream's, or no models)");
                        return Optional.empty();
                    }
                    Map<String, String> models = new LinkedHashMap<>();
                    boolean ok = true;
                    for (YamlValue.Entry entry : entries) {
                        Optional<String> target = entry.value()
                                .text("a model name")
                                .filter(t -> {
                                    if (t.isBlank() || t.chars().anyMatch(Character::isISOControl)) {
                                        entry.value().reject("a one-line model name");
                                        return false;
                                    }
                                    return true;
                                });
                        ok &= target.isPresent();
                        target.ifPresent(t -> models.put(entry.key(), t));
                    }
                    return ok ? Optional.of(models) : Optional.empty();
                });
    }

    private static Optional<Set<FallbackClass>> fallbackOn(YamlValue v) {
        return v.list("a list of outcome classes (rate-limited, circuit-open, server-error, unreachable, timeout)")
                .flatMap(items -> {
                    Set<FallbackClass> classes = EnumSet.noneOf(FallbackClass.class);
                    boolean ok = true;
                    for (YamlValue item : items) {
                        Optional<FallbackClass> c = FALLBACK_CLASS.read(item);
                        ok &= c.isPresent();
                        c.ifPresent(classes::add);
                    }
                    return ok ? Optional.of(classes) : Optional.empty();
                });
    }

    private Optional<String> pathPrefix(YamlValue v) {
        return v.text(PATH_PREFIX).filter(p -> {
            if (!p.startsWith("/")) {
                v.reject(PATH_PREFIX);
                return false;
            }
            if (!PREFIX_PATTERN.matcher(p).matches()) {
                v.reject("a path without spaces, '?' or '#'");
                return false;
            }
            String owner = prefixOwners.get(p);
            if (owner != null) {
                v.reject("a prefix not already used by " + owner);
                return false;
            }
            return true;
        });
    }

    /**
     * The upstream URL. Query, fragment and user-info are refused rather than ignored: forwarding would drop
     * them silently, and credentials in a URL end up in logs.
     */
    static Optional<UpstreamSpec> upstream(YamlValue v) {
        return v.text(UPSTREAM).flatMap(text -> {
            URI uri;
            try {
                uri = new URI(text);
            } catch (URISyntaxException e) {
                v.reject(UPSTREAM);
                return Optional.empty();
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            String authority = uri.getRawAuthority();
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.isOpaque() || authority == null) {
                v.reject(UPSTREAM);
                return Optional.empty();
            }
            if (authority.contains("@")) {
                v.reject("a URL without user-info (set credentials with headers)");
                return Optional.empty();
            }
            if (uri.getRawQuery() != null) {
                v.reject("a URL without a query");
                return Optional.empty();
            }
            if (uri.getRawFragment() != null) {
                v.reject("a URL without a fragment");
                return Optional.empty();
            }
            Optional<Addresses.Parsed> hostPort = Addresses.parse(authority);
            if (hostPort.isEmpty()) {
                v.reject(UPSTREAM + " with a valid host");
                return Optional.empty();
            }
            boolean tls = scheme.equals("https");
            int port = hostPort.get().port() == -1
                    ? (tls ? 443 : 80)
                    : hostPort.get().port();
            if (port < 1 || port > 65535) {
                v.reject("a port 1-65535");
                return Optional.empty();
            }
            String path = uri.getRawPath() == null ? "" : uri.getRawPath();
            String basePath = path.replaceAll("/+$", "");
            return Optional.of(new UpstreamSpec(uri, tls, hostPort.get().host(), port, basePath));
        });
    }

    /** Header names must be HTTP tokens, and values one line, so a config can never inject extra headers. */
    static Optional<Map<String, String>> headers(YamlValue v) {
        return v.entries("a map of header names to values").flatMap(entries -> {
            Map<String, String> headers = new LinkedHashMap<>();
            List<String> seenLowerCase = new ArrayList<>();
            boolean ok = true;
            for (YamlValue.Entry entry : entries) {
                if (!Readers.TOKEN.matcher(entry.key()).matches()) {
                    entry.keyNode().problem("invalid header name (expected: letters, digits and !#$%&'*+-.^_`|~)");
                    ok = false;
                    continue;
                }
                String lower = entry.key().toLowerCase(Locale.ROOT);
                if (seenLowerCase.contains(lower)) {
                    entry.keyNode().problem("duplicate header (expected: each header once, ignoring case)");
                    ok = false;
                    continue;
                }
                seenLowerCase.add(lower);
                Optional<String> value = entry.value().text("a header value");
                if (value.isPresent() && value.get().chars().anyMatch(c -> c != '\t' && Character.isISOControl(c))) {
                    // not echoed: header values are often secrets
                    entry.value().problem("contains a line break or control character (expected: a one-line value)");
                    value = Optional.empty();
                }
                ok &= value.isPresent();
                value.ifPresent(text -> headers.put(entry.key(), text));
            }
            return ok ? Optional.of(headers) : Optional.empty();
        });
    }

    /** A CA file makes sense only for TLS; it is checked now so a typo fails at startup, not at first request. */
    private static Optional<Path> caFile(YamlValue v, Optional<UpstreamSpec> upstream) {
        return v.text("a file path").flatMap(text -> {
            if (upstream.isPresent() && !upstream.get().tls()) {
                v.reject("only with an https upstream");
                return Optional.empty();
            }
            Path path;
            try {
                path = Path.of(text).toAbsolutePath().normalize();
            } catch (InvalidPathException e) {
                v.reject("a file path");
                return Optional.empty();
            }
            if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
                v.reject("a readable file");
                return Optional.empty();
            }
            return Optional.of(path);
        });
    }
}
