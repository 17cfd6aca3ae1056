package dev.breakwater;

import dev.breakwater.config.BreakwaterConfig;
import dev.breakwater.config.ConfigException;
import dev.breakwater.config.ConfigLoader;
import dev.breakwater.observability.LoggingSetup;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;

/**
 * The command line: {@code java -jar breakwater.jar [--config PATH] [--check] [--help] [--version]}.
 *
 * <p>The configuration is read and validated before anything listens: a bad file prints every problem with its
 * YAML path and exits 1 without opening a port.
 */
public final class Main {
    static final String DEFAULT_CONFIG = "config/breakwater.yaml";

    private static final String HELP = """
            Usage: bin/breakwater [options]    (the launcher; or: java -jar breakwater.jar [options])

            Breakwater is a resilience sidecar proxy for AI agents: per-route retries with backoff,
            failure classification, timeouts and SSE streaming in front of LLM APIs and tool backends.
            A route's provider (generic, openai, azure-openai, anthropic, mcp) adds that API's error and
            rate-limit rules: docs/providers.md. LLM routes pace requests by the rate-limit budget
            each answer reports, and a fleet: section shares it over Redis: docs/pacing-and-fleet.md.
            Streams are committed at their first event (docs/streaming.md), WebSockets pass through
            (docs/websockets.md), and requests with an Idempotency-Key never reach a tool twice
            (docs/tool-calls.md).

            Options:
              --config PATH   configuration file, UTF-8, at most 1 MiB
                              (default: $BREAKWATER_CONFIG, else config/breakwater.yaml)
              --check         validate the configuration, print the result and exit (0 valid, 1 invalid)
              --version       print the version and exit
              --help          print this help and exit

            Environment:
              BREAKWATER_CONFIG      configuration file when --config is not given
              BREAKWATER_LOG_LEVEL   log level: TRACE, DEBUG, INFO (default), WARN, ERROR
              BREAKWATER_LOG_FORMAT  log format: json (default, one object per line) or text
              OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_SERVICE_NAME,
              OTEL_TRACES_SAMPLER_ARG, OTEL_EXPORTER_OTLP_HEADERS, OTEL_SDK_DISABLED
                                     OpenTelemetry traces over OTLP/HTTP, where the tracing: section
                                     leaves a value out (docs/observability.md#traces)
              ${NAME} in any value of the configuration is replaced by the environment variable NAME
              (${NAME:-default} gives a default). Inside {...} or [...] quote it: {max-attempts: "${N:-3}"}.

            Exit codes: 0 ok, 1 invalid configuration or failed start, 2 bad command line.
            Reference: docs/configuration.md (the file), docs/operations.md (launcher, admin API, reload).
            """;

    private Main() {}

    public static void main(String[] args) {
        int code = run(args, System.getenv(), System.out, System.err);
        if (code >= 0) {
            LoggingSetup.flushAndStop();
            System.exit(code);
        }
        // A running proxy: Vert.x's event-loop threads keep the JVM alive until a signal drains it.
    }

    /**
     * Runs the command line.
     *
     * @return the exit code, or -1 when the proxy was started and keeps running
     */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        String configPath = env.getOrDefault("BREAKWATER_CONFIG", DEFAULT_CONFIG);
        boolean check = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    out.print(HELP);
                    return 0;
                }
                case "--version", "-V" -> {
                    out.println("breakwater " + version());
                    return 0;
                }
                case "--check" -> check = true;
                case "--config", "-c" -> {
                    if (i + 1 >= args.length) {
                        err.println("breakwater: --config needs a file path (see --help)");
                        return 2;
                    }
                    configPath = args[++i];
                }
                default -> {
                    if (args[i].startsWith("--config=")) {
                        configPath = args[i].substring("--config=".length());
                    } else {
                        err.println("breakwater: unknown option '" + args[i] + "' (see --help)");
                        return 2;
                    }
                }
            }
        }
        BreakwaterConfig config;
        try {
            config = new ConfigLoader(env).load(Path.of(configPath));
        } catch (ConfigException e) {
            err.println("breakwater: invalid configuration " + configPath + ":");
            e.problems().forEach(p -> err.println("  " + p));
            return 1;
        }
        if (check) {
            out.println("breakwater: configuration " + configPath + " is valid ("
                    + config.routes().size() + " route(s))");
            return 0;
        }
        return start(config, Path.of(configPath), env, err);
    }

    private static int start(BreakwaterConfig config, Path file, Map<String, String> env, PrintStream err) {
        Breakwater running;
        try {
            running = Breakwater.start(config, Optional.of(file), env)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .join();
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            err.println("breakwater: failed to start: " + cause.getMessage());
            return 1;
        }
        // SIGTERM and SIGINT drain gracefully and exit 0: the default JVM handling would exit 143 mid-stream.
        AtomicBoolean stopping = new AtomicBoolean();
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                if (stopping.compareAndSet(false, true)) {
                    new Thread(() -> drainAndExit(running), "breakwater-shutdown").start();
                }
            });
        }
        return -1;
    }

    private static void drainAndExit(Breakwater running) {
        int code = 0;
        try {
            running.shutdown().join();
        } catch (RuntimeException e) {
            code = 1;
        }
        LoggingSetup.flushAndStop();
        System.exit(code);
    }

    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("/breakwater-version.properties")) {
            if (in != null) {
                Properties properties = new Properties();
                properties.load(in);
                return properties.getProperty("version", "unknown");
            }
        } catch (IOException ignored) {
            // fall through: the version is informational
        }
        return "unknown";
    }
}
