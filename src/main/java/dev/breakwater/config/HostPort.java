package dev.breakwater.config;

/**
 * A listen address such as {@code 127.0.0.1:8080}. Port 0 asks the OS for a free port.
 *
 * @param host the interface to bind, an IP address or host name
 * @param port 0 to 65535
 */
public record HostPort(String host, int port) {
    /** True for 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
    public boolean isLoopback() {
        return host.equals("localhost")
                || host.startsWith("127.")
                || host.equals("::1")
                || host.equals("0:0:0:0:0:0:0:1");
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
