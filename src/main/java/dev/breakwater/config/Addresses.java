package dev.breakwater.config;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits {@code host:port} and {@code [ipv6]:port}, for listen addresses and upstream URL authorities.
 * Hand-written rather than left to {@link java.net.URI} because URI gives up (host {@code null}) on names
 * such as {@code my_service}, which container runtimes hand out.
 */
final class Addresses {
    private static final Pattern NAME_OR_IPV4 = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?");
    private static final Pattern WITH_PORT = Pattern.compile("(.*):([0-9]{1,9})");

    /**
     * @param host without brackets
     * @param port the port, or -1 when the text has none
     */
    record Parsed(String host, int port) {}

    private Addresses() {}

    /** Empty when the text is not {@code host}, {@code host:port}, {@code [ipv6]} or {@code [ipv6]:port}. */
    static Optional<Parsed> parse(String text) {
        String hostPart = text;
        int port = -1;
        Matcher m = WITH_PORT.matcher(text);
        if (m.matches() && (m.group(1).startsWith("[") || !m.group(1).contains(":"))) {
            hostPart = m.group(1);
            port = Integer.parseInt(m.group(2));
        }
        if (hostPart.startsWith("[") && hostPart.endsWith("]")) {
            String v6 = hostPart.substring(1, hostPart.length() - 1);
            return IPV6.matcher(v6).matches() && v6.contains(":")
                    ? Optional.of(new Parsed(v6, port))
                    : Optional.empty();
        }
        return NAME_OR_IPV4.matcher(hostPart).matches() ? Optional.of(new Parsed(hostPart, port)) : Optional.empty();
    }
}
