package dev.breakwater.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Loads Breakwater's YAML configuration into a validated {@link BreakwaterConfig}.
 *
 * <p>The YAML is composed into a node tree (not bound by reflection) and walked by hand, so that every problem
 * names its file, line and YAML path, e.g.
 * {@code config/breakwater.yaml:14: routes[openai].retry.max-attempts: 0 (expected: >= 1)}, and so that all
 * problems are reported together in one {@link ConfigException}. String values may use {@code ${VAR}} and
 * {@code ${VAR:-default}}; see {@link EnvSubstitution}.
 *
 * <p>Instances are stateless apart from the environment and may be reused.
 */
public final class ConfigLoader {
    private static final List<String> TOP_KEYS = List.of(
            "listen",
            "admin",
            "admin-token",
            "metrics",
            "shutdown-grace",
            "logging",
            "limits",
            "fleet",
            "tracing",
            "defaults",
            "routes");
    private static final List<String> METRICS_KEYS = List.of("listen", "max-models");
    private static final ValueReader<Integer> MAX_MODELS = Readers.integer(Bound.atLeast("0"));
    private static final List<String> LOGGING_KEYS = List.of("level", "format");
    private static final List<String> LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
    private static final HostPort DEFAULT_LISTEN = new HostPort("127.0.0.1", 8080);
    private static final HostPort DEFAULT_ADMIN = new HostPort("127.0.0.1", 9901);
    private static final String ADDRESS = "host:port or [ipv6]:port";
    private static final String ROUTES = "a non-empty list of routes";

    /**
     * The largest configuration file read, in bytes (1 MiB), and the most code points parsed: real configs are
     * a few KiB, and the bound keeps a wrong file (a log, a dump) from exhausting the heap.
     */
    public static final int MAX_FILE_BYTES = 1 << 20;

    /** How deeply collections may nest; Breakwater's own schema needs 5, so this is far out of reach. */
    static final int MAX_NESTING_DEPTH = 50;

    private final EnvSubstitution env;

    /**
     * @param env the environment for {@code ${VAR}} references, typically {@link System#getenv()}
     */
    public ConfigLoader(Map<String, String> env) {
        this.env = new EnvSubstitution(Objects.requireNonNull(env, "env"));
    }

    /**
     * Reads and validates a UTF-8 YAML file.
     *
     * @throws ConfigException listing every problem, each prefixed with the file name and line
     */
    public BreakwaterConfig load(Path file) throws ConfigException {
        return parse(read(file), file.toString());
    }

    /**
     * The file's text, refusing a file over {@link #MAX_FILE_BYTES} before reading it: the watcher reloads
     * whatever lands at the path, and a stray 150 MB file must not take the heap with it. The size is checked
     * first, then read through a bound, so a file that grows between the two is still refused, not read.
     */
    private static String read(Path file) throws ConfigException {
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw tooLarge(file, size + " bytes");
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            }
            if (bytes.length > MAX_FILE_BYTES) {
                throw tooLarge(file, "more than " + MAX_FILE_BYTES + " bytes");
            }
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (NoSuchFileException e) {
            throw new ConfigException(List.of(file + ": cannot read the file (no such file)"));
        } catch (AccessDeniedException e) {
            throw new ConfigException(List.of(file + ": cannot read the file (permission denied)"));
        } catch (CharacterCodingException e) {
            throw new ConfigException(List.of(file + ": cannot read the file (not valid UTF-8)"));
        } catch (IOException e) {
            throw new ConfigException(List.of(file + ": cannot read the file (" + e.getMessage() + ")"));
        }
    }

    private static ConfigException tooLarge(Path file, String size) {
        return new ConfigException(
                List.of(file + ": the file is " + size + "; the limit is " + MAX_FILE_BYTES + " (1 MiB)"));
    }

    /**
     * Parses and validates YAML text.
     *
     * @param sourceName the name that prefixes each problem, usually the file name
     * @throws ConfigException listing every problem, each prefixed with {@code sourceName} and the line
     */
    public BreakwaterConfig parse(String yamlText, String sourceName) throws ConfigException {
        Problems problems = new Problems(sourceName);
        Node root;
        try {
            root = yaml().compose(new StringReader(yamlText));
        } catch (MarkedYAMLException e) {
            problems.add(
                    line(e.getProblemMark()),
                    "invalid YAML: " + e.getProblem() + (e.getContext() == null ? "" : " (" + e.getContext() + ")"));
            throw problems.toException();
        } catch (YAMLException e) {
            problems.add(0, "invalid YAML: " + e.getMessage());
            throw problems.toException();
        }
        if (root == null) { // an empty document: read it as an empty map, which reports the missing routes
            root = new MappingNode(Tag.MAP, List.of(), org.yaml.snakeyaml.DumperOptions.FlowStyle.BLOCK);
        }
        Optional<BreakwaterConfig> config = read(new YamlValue(root, YamlPath.root(), new ReadContext(problems, env)));
        if (!problems.isEmpty()) {
            throw problems.toException();
        }
        return config.orElseThrow(() -> new IllegalStateException("config incomplete but no problem reported"));
    }

    private static Yaml yaml() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false); // not enforced by compose(); YamlValue.entries() checks too
        options.setProcessComments(false);
        options.setCodePointLimit(MAX_FILE_BYTES); // parse() is public: bound text that did not come from load()
        options.setNestingDepthLimit(MAX_NESTING_DEPTH); // deep nesting recurses: a stack overflow, not a problem
        return new Yaml(options);
    }

    private static int line(Mark mark) {
        return mark == null ? 0 : mark.getLine() + 1;
    }

    private Optional<BreakwaterConfig> read(YamlValue document) {
        Optional<YamlSection> top = document.section(TOP_KEYS);
        if (top.isEmpty()) {
            return Optional.empty();
        }
        Optional<HostPort> listen =
                top.get().get("listen").map(ConfigLoader::address).orElse(Optional.of(DEFAULT_LISTEN));
        Optional<HostPort> admin =
                top.get().get("admin").map(ConfigLoader::address).orElse(Optional.of(DEFAULT_ADMIN));
        if (listen.isPresent()
                && admin.isPresent()
                && listen.equals(admin)
                && admin.get().port() != 0) {
            top.get().get("admin").orElse(top.get().self()).reject("an address other than listen's");
        }
        Optional<YamlSection> defaultsSection = top.get().get("defaults").flatMap(v -> v.section(Policies.keys()));
        Policies defaults = Policies.builtins().readOver(defaultsSection);
        Optional<List<RouteSpec>> routes =
                top.get().require("routes", ROUTES).flatMap(v -> routes(v, new RouteReader(defaults)));
        Optional<String> adminToken = top.get()
                .get("admin-token")
                .flatMap(v -> v.text("a token string").filter(t -> {
                    if (t.isBlank()) {
                        v.reject("a non-empty token");
                        return false;
                    }
                    return true;
                }));
        if (admin.isPresent()
                && !admin.get().isLoopback()
                && adminToken.isEmpty()
                && top.get().get("admin-token").isEmpty()) {
            top.get()
                    .get("admin")
                    .orElse(top.get().self())
                    .reject("a loopback address, or an admin-token (the admin API is not open off-host)");
        }
        Optional<Duration> grace = top.get()
                .get("shutdown-grace")
                .map(v -> Readers.duration(false).read(v))
                .orElse(Optional.of(BreakwaterConfig.DEFAULT_SHUTDOWN_GRACE));
        Optional<LoggingSpec> logging =
                top.get().get("logging").map(ConfigLoader::logging).orElse(Optional.of(LoggingSpec.DEFAULT));
        Optional<ListenerLimits> limits =
                top.get().get("limits").map(LimitsReader::read).orElse(Optional.of(ListenerLimits.DEFAULT));
        Optional<Optional<FleetSpec>> fleet = top.get()
                .get("fleet")
                .map(v -> FleetReader.read(v).map(Optional::of))
                .orElse(Optional.of(Optional.empty()));
        Optional<MetricsSpec> metrics =
                top.get().get("metrics").map(v -> metrics(v, listen, admin)).orElse(Optional.of(MetricsSpec.DEFAULT));
        Optional<TracingSpec> tracing =
                top.get().get("tracing").map(TracingReader::read).orElse(Optional.of(TracingSpec.NONE));
        if (listen.isEmpty()
                || admin.isEmpty()
                || metrics.isEmpty()
                || routes.isEmpty()
                || grace.isEmpty()
                || logging.isEmpty()
                || limits.isEmpty()
                || fleet.isEmpty()
                || tracing.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new BreakwaterConfig(
                listen.get(),
                admin.get(),
                routes.get(),
                adminToken,
                grace.get(),
                logging.get(),
                limits.get(),
                fleet.get(),
                metrics.get(),
                tracing.get()));
    }

    /**
     * The {@code metrics} section: the metrics-only listener, when {@code listen} is given, on an address of its own
     * (sharing a port with the proxy or the admin listener would fail at bind time with a less helpful message),
     * and the bound on {@code model} label values.
     */
    private static Optional<MetricsSpec> metrics(YamlValue value, Optional<HostPort> listen, Optional<HostPort> admin) {
        Optional<YamlSection> section = value.section(METRICS_KEYS);
        if (section.isEmpty()) {
            return Optional.empty();
        }
        Optional<Integer> maxModels = section.get()
                .get("max-models")
                .map(MAX_MODELS::read)
                .orElse(Optional.of(MetricsSpec.DEFAULT.maxModels()));
        Optional<YamlValue> listenValue = section.get().get("listen");
        if (listenValue.isEmpty()) {
            return maxModels.map(max -> new MetricsSpec(Optional.empty(), max));
        }
        Optional<HostPort> address = listenValue.flatMap(ConfigLoader::address);
        if (address.isEmpty()) {
            return Optional.empty();
        }
        if (address.get().port() != 0 && (sharesPort(address.get(), listen) || sharesPort(address.get(), admin))) {
            listenValue.orElseThrow().reject("a port other than listen's and admin's");
            return Optional.empty();
        }
        return maxModels.map(max -> new MetricsSpec(address, max));
    }

    private static boolean sharesPort(HostPort metrics, Optional<HostPort> other) {
        return other.isPresent() && other.get().port() == metrics.port();
    }

    private static Optional<LoggingSpec> logging(YamlValue value) {
        Optional<YamlSection> section = value.section(LOGGING_KEYS);
        if (section.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> level = section.get()
                .get("level")
                .map(v -> v.text("one of " + LEVELS).flatMap(t -> {
                    String upper = t.toUpperCase(java.util.Locale.ROOT);
                    if (!LEVELS.contains(upper)) {
                        v.reject("one of TRACE, DEBUG, INFO, WARN, ERROR");
                        return Optional.empty();
                    }
                    return Optional.of(upper);
                }))
                .orElse(Optional.of(LoggingSpec.DEFAULT.level()));
        Optional<String> format = section.get()
                .get("format")
                .map(v -> v.text("json or text").flatMap(t -> {
                    String lower = t.toLowerCase(java.util.Locale.ROOT);
                    if (!lower.equals("json") && !lower.equals("text")) {
                        v.reject("json or text");
                        return Optional.empty();
                    }
                    return Optional.of(lower);
                }))
                .orElse(Optional.of(LoggingSpec.DEFAULT.format()));
        if (level.isEmpty() || format.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new LoggingSpec(level.get(), format.get()));
    }

    /** {@code host:port} or {@code [ipv6]:port}; port 0 lets the OS choose, which tests rely on. */
    private static Optional<HostPort> address(YamlValue v) {
        return v.text(ADDRESS).flatMap(text -> {
            Optional<Addresses.Parsed> parsed = Addresses.parse(text).filter(p -> p.port() != -1);
            if (parsed.isEmpty()) {
                v.reject(ADDRESS);
                return Optional.empty();
            }
            if (parsed.get().port() > 65535) {
                v.reject("a port 0-65535");
                return Optional.empty();
            }
            return Optional.of(new HostPort(parsed.get().host(), parsed.get().port()));
        });
    }

    /**
     * Reads the routes in two passes. The first reads every name, so that each route's problems can be
     * reported under {@code routes[NAME]}, which is easier to find than an index; a route without a usable
     * (valid, unique) name is reported under {@code routes[INDEX]}.
     */
    private static Optional<List<RouteSpec>> routes(YamlValue value, RouteReader reader) {
        Optional<List<YamlValue>> items = value.list(ROUTES);
        if (items.isEmpty()) {
            return Optional.empty();
        }
        if (items.get().isEmpty()) {
            value.reject(ROUTES);
            return Optional.empty();
        }
        Map<String, String> nameOwners = new HashMap<>();
        List<Optional<String>> names = new ArrayList<>();
        List<YamlValue> labelled = new ArrayList<>();
        for (YamlValue item : items.get()) {
            Optional<String> name = item.peek("name").flatMap(RouteReader::readName);
            if (name.isPresent() && nameOwners.containsKey(name.get())) {
                item.peek("name").orElseThrow().reject("a name not already used by " + nameOwners.get(name.get()));
                name = Optional.empty();
            }
            YamlValue route = name.isPresent() ? item.at(value.path().item(name.get())) : item;
            name.ifPresent(n -> nameOwners.put(n, route.path().toString()));
            names.add(name);
            labelled.add(route);
        }
        List<RouteSpec> routes = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < labelled.size(); i++) {
            Optional<RouteSpec> route = reader.read(labelled.get(i), names.get(i));
            ok &= route.isPresent();
            route.ifPresent(routes::add);
        }
        return ok ? Optional.of(routes) : Optional.empty();
    }
}
