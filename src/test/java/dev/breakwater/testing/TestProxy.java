package dev.breakwater.testing;

import dev.breakwater.Breakwater;
import dev.breakwater.config.BreakwaterConfig;
import dev.breakwater.config.ConfigLoader;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The real proxy, started in-process on ephemeral ports from a YAML text, for integration tests.
 */
public final class TestProxy implements AutoCloseable {
    static {
        // Netty's JFR events register with the flight recorder in their static initialisers, on whichever event
        // loop first frees or allocates a pooled chunk: hundreds of milliseconds of class loading that the
        // blocked-loop check would blame on the test that happens to run first. Pay it here, off the loops.
        for (String event : new String[] {
            "AllocateBufferEvent",
            "AllocateChunkEvent",
            "FreeBufferEvent",
            "FreeChunkEvent",
            "ReallocateBufferEvent",
            "ReturnChunkEvent"
        }) {
            try {
                Class.forName("io.netty.buffer." + event, true, TestProxy.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                // another Netty version: nothing to warm
            }
        }
    }

    private final Breakwater breakwater;

    private TestProxy(Breakwater breakwater) {
        this.breakwater = breakwater;
    }

    /** Starts Breakwater with {@code yaml}; {@code listen} and {@code admin} default to ephemeral loopback ports. */
    public static TestProxy start(String yaml) {
        return start(yaml, Map.of());
    }

    /** Starts Breakwater with {@code yaml}, resolving {@code ${NAME}} from {@code env}. */
    public static TestProxy start(String yaml, Map<String, String> env) {
        String full = (yaml.contains("listen:") ? "" : "listen: 127.0.0.1:0\n")
                + (yaml.contains("admin:") ? "" : "admin: 127.0.0.1:0\n")
                + yaml;
        try {
            BreakwaterConfig config = new ConfigLoader(env).parse(full, "test.yaml");
            return new TestProxy(
                    Breakwater.start(config, Optional.empty(), Map.of(), BlockedEventLoopCheck.vertxOptions())
                            .toCompletionStage()
                            .toCompletableFuture()
                            .get(20, TimeUnit.SECONDS));
        } catch (Exception e) {
            throw new IllegalStateException("could not start Breakwater: " + e.getMessage(), e);
        }
    }

    /** Starts Breakwater from {@code file}, which it then watches for edits (hot reload). */
    public static TestProxy startFromFile(java.nio.file.Path file) {
        return startFromFile(file, Map.of());
    }

    /** Starts Breakwater from {@code file}, resolving {@code ${NAME}} from {@code env} on every (re)load. */
    public static TestProxy startFromFile(java.nio.file.Path file, Map<String, String> env) {
        try {
            BreakwaterConfig config = new ConfigLoader(env).load(file);
            return new TestProxy(Breakwater.start(config, Optional.of(file), env, BlockedEventLoopCheck.vertxOptions())
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(20, TimeUnit.SECONDS));
        } catch (Exception e) {
            throw new IllegalStateException("could not start Breakwater: " + e.getMessage(), e);
        }
    }

    /** The running instance. */
    public Breakwater breakwater() {
        return breakwater;
    }

    public int port() {
        return breakwater.proxyPort();
    }

    public int adminPort() {
        return breakwater.adminPort();
    }

    /** The metrics-only listener's port, 0 when the YAML has no {@code metrics:} section. */
    public int metricsPort() {
        return breakwater.metricsPort();
    }

    /** The metrics-only listener's URL of {@code path}. */
    public URI metricsUri(String path) {
        return URI.create("http://127.0.0.1:" + metricsPort() + path);
    }

    /** The proxy URL of {@code pathAndQuery}. */
    public URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
    }

    /** The admin URL of {@code path}. */
    public URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + adminPort() + path);
    }

    /**
     * Stops the proxy at once. Throws nothing checked, and no {@link InterruptedException} in particular, so that
     * {@code try (TestProxy proxy = ...)} compiles without javac's {@code -Xlint:try} warning.
     */
    @Override
    public void close() {
        try {
            breakwater.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping Breakwater", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not stop Breakwater: " + e.getMessage(), e);
        }
    }
}
