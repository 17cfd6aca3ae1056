package dev.breakwater.config;

import java.util.Objects;
import java.util.Optional;

/**
 * The {@code metrics} section. {@code listen} starts a metrics-only listener: {@code GET /metrics} without the admin
 * token, for a Prometheus that scrapes the pod IP, while the admin listener stays on loopback or behind its token. It
 * serves nothing else, so opening it grants no admin power. Off unless configured. {@code max-models} bounds the
 * {@code model} label: later models are counted as {@code other}. Both take effect on restart.
 *
 * @param listen the address to bind, such as {@code 0.0.0.0:9902} (port 0 lets the OS choose), or empty for none
 * @param maxModels how many distinct models keep a {@code model} label of their own
 */
public record MetricsSpec(Optional<HostPort> listen, int maxModels) {
    /** No metrics-only listener; 100 model labels. */
    public static final MetricsSpec DEFAULT = new MetricsSpec(Optional.empty(), 100);

    public MetricsSpec {
        Objects.requireNonNull(listen, "listen");
    }
}
