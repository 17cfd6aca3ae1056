package dev.breakwater.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the top-level {@code fleet} section into a {@link FleetSpec}. */
final class FleetReader {
    static final List<String> KEYS =
            List.of("redis", "key-prefix", "password", "share-breakers", "fallback-share", "timeout");

    private static final String REDIS = "a URL such as redis://host:6379 or rediss://host:6380/0";
    private static final String SHARE = "a share of the budget such as 1/3 or 0.5 (> 0 and <= 1), or auto";
    private static final String PREFIX = "a key prefix of letters, digits, '.', '_', ':' or '-'";
    private static final Pattern PREFIX_PATTERN = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    private static final Pattern FRACTION = Pattern.compile("([0-9]+)\\s*/\\s*([0-9]+)");

    private FleetReader() {}

    /** The fleet settings, or empty when any key is bad (each problem has been reported). */
    static Optional<FleetSpec> read(YamlValue value) {
        Optional<YamlSection> maybe = value.section(KEYS);
        if (maybe.isEmpty()) {
            return Optional.empty();
        }
        YamlSection section = maybe.get();
        Optional<URI> redis = section.require("redis", REDIS).flatMap(FleetReader::redis);
        Optional<String> prefix = section.get("key-prefix")
                .map(v -> v.text(PREFIX).filter(t -> {
                    boolean ok = PREFIX_PATTERN.matcher(t).matches();
                    if (!ok) {
                        v.reject(PREFIX);
                    }
                    return ok;
                }))
                .orElse(Optional.of(FleetSpec.DEFAULT_KEY_PREFIX));
        Optional<Optional<String>> password = section.get("password")
                .map(v -> v.text("a password string").map(Optional::of))
                .orElse(Optional.of(Optional.empty()));
        Optional<Boolean> shareBreakers =
                section.get("share-breakers").map(Readers.bool()::read).orElse(Optional.of(false));
        Optional<Optional<Double>> share =
                section.get("fallback-share").map(FleetReader::share).orElse(Optional.of(Optional.empty()));
        Optional<Duration> timeout =
                section.get("timeout").map(Readers.duration(true)::read).orElse(Optional.of(FleetSpec.DEFAULT_TIMEOUT));
        if (redis.isEmpty()
                || prefix.isEmpty()
                || password.isEmpty()
                || shareBreakers.isEmpty()
                || share.isEmpty()
                || timeout.isEmpty()) {
            return Optional.empty();
        }
        URI uri = redis.get();
        Optional<String> urlPassword = Optional.ofNullable(uri.getRawUserInfo())
                .map(info -> info.contains(":") ? info.substring(info.indexOf(':') + 1) : info)
                .filter(p -> !p.isEmpty())
                .map(p -> URLDecoder.decode(p, StandardCharsets.UTF_8));
        String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
        return Optional.of(new FleetSpec(
                uri.getHost().replaceAll("^\\[|\\]$", ""),
                uri.getPort() < 0 ? 6379 : uri.getPort(),
                uri.getScheme().equalsIgnoreCase("rediss"),
                password.get().or(() -> urlPassword),
                path.isEmpty() ? 0 : Integer.parseInt(path),
                prefix.get(),
                shareBreakers.get(),
                share.get(),
                timeout.get()));
    }

    private static Optional<URI> redis(YamlValue v) {
        return v.text(REDIS).flatMap(t -> {
            try {
                URI uri = new URI(t.trim());
                String scheme = uri.getScheme();
                String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
                if (scheme == null
                        || !(scheme.equalsIgnoreCase("redis") || scheme.equalsIgnoreCase("rediss"))
                        || uri.getHost() == null
                        || !path.matches("[0-9]{0,2}")
                        || uri.getQuery() != null) {
                    rejectUnshown(v);
                    return Optional.empty();
                }
                return Optional.of(uri);
            } catch (URISyntaxException e) {
                rejectUnshown(v);
                return Optional.empty();
            }
        });
    }

    /** Rejects the URL without echoing it: it may hold the Redis password. */
    private static void rejectUnshown(YamlValue v) {
        v.problem("a value not shown here, as it may hold a password (expected: " + REDIS + ")");
    }

    private static Optional<Optional<Double>> share(YamlValue v) {
        return v.text(SHARE).flatMap(t -> {
            String s = t.trim();
            if (s.equalsIgnoreCase("auto")) {
                return Optional.of(Optional.empty());
            }
            double share;
            Matcher fraction = FRACTION.matcher(s);
            try {
                share = fraction.matches()
                        ? Double.parseDouble(fraction.group(1)) / Double.parseDouble(fraction.group(2))
                        : Double.parseDouble(s);
            } catch (NumberFormatException e) {
                share = Double.NaN;
            }
            if (!(share > 0 && share <= 1)) {
                v.reject(SHARE);
                return Optional.empty();
            }
            return Optional.of(Optional.of(share));
        });
    }
}
