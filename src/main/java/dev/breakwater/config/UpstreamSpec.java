package dev.breakwater.config;

import java.net.URI;

/**
 * Where a route forwards to, parsed from its {@code upstream} URL.
 *
 * @param uri the URL as configured
 * @param tls true for {@code https}
 * @param host the host name (also used for SNI and hostname verification)
 * @param port the explicit port, or the scheme's default
 * @param basePath the URL's path without a trailing slash ({@code ""} when none); forwarded paths are joined to it
 */
public record UpstreamSpec(URI uri, boolean tls, String host, int port, String basePath) {
    /** The value for the {@code Host} header: the port is left out when it is the scheme's default. */
    public String authority() {
        boolean defaultPort = tls ? port == 443 : port == 80;
        String h = host.contains(":") ? "[" + host + "]" : host;
        return defaultPort ? h : h + ":" + port;
    }
}
