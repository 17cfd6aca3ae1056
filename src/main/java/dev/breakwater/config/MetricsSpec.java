package dev.breakwater.config;

import java.util.Objects;

/**
 * The metrics-only listener ({@code metrics: {listen: ...}}): {@code GET /metrics} without the admin token, for a
 * Prometheus that scrapes the pod IP, while the admin listener stays on loopback or behind its token. It serves
 * nothing else, so opening it grants no admin power. Off unless configured; changes take effect on restart.
 *
 * @param listen the address to bind, such as {@code 0.0.0.0:9902}; port 0 lets the OS choose
 */
public record MetricsSpec(HostPort listen) {
    public MetricsSpec {
        Objects.requireNonNull(listen, "listen");
    }
}
