package dev.breakwater.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A byte-level fake upstream on a loopback ephemeral port, for faults that WireMock cannot script: a close racing a
 * keep-alive reuse, a reset before or after the head, a partial body, a {@code 101} nobody asked for, a malformed
 * status line. Each accepted connection gets a thread; it reads one request at a time (head, then the body by
 * {@code Content-Length} or chunked), records it, and performs the {@link Action} the {@link Script} picks for it.
 */
public final class ScriptedUpstream implements AutoCloseable {

    /** A request the upstream read completely. Header names are lower case. */
    public record Recorded(
            String method,
            String path,
            String version,
            Map<String, List<String>> headers,
            byte[] body,
            int connection,
            int indexOnConnection,
            int number) {

        /** The first value of {@code name} (any case), or null. */
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** What the upstream does once it has read a request. */
    @FunctionalInterface
    public interface Action {
        /** Performs the action; returns true when the connection stays open for the next request. */
        boolean perform(Socket socket, OutputStream out) throws IOException, InterruptedException;
    }

    /** Picks the action for each request; {@code number} counts all requests read, from 0. */
    @FunctionalInterface
    public interface Script {
        Action actionFor(Recorded request);
    }

    private final ServerSocket server;
    private final Script script;
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger requestNumbers = new AtomicInteger();
    private volatile boolean closed;

    private ScriptedUpstream(Script script) throws IOException {
        this.script = script;
        this.server = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "scripted-upstream-accept");
        acceptor.setDaemon(true);
        threads.add(acceptor);
        acceptor.start();
    }

    /** Starts an upstream that runs {@code script} for every request. */
    public static ScriptedUpstream start(Script script) {
        try {
            return new ScriptedUpstream(script);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts an upstream that answers every request with {@code action}. */
    public static ScriptedUpstream always(Action action) {
        return start(request -> action);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** {@code http://127.0.0.1:port} followed by {@code basePath}. */
    public String url(String basePath) {
        return "http://127.0.0.1:" + port() + basePath;
    }

    public String url() {
        return url("");
    }

    /** Every request read completely so far, in the order they were read. */
    public List<Recorded> requests() {
        return List.copyOf(requests);
    }

    /** Connections accepted so far. */
    public int connectionCount() {
        return connections.get();
    }

    // ---- actions ----

    /** Writes {@code raw} and keeps the connection open. */
    public static Action respond(byte[] raw) {
        return (socket, out) -> {
            out.write(raw);
            out.flush();
            return true;
        };
    }

    public static Action respond(String raw) {
        return respond(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** A complete {@code status} response with a text body and {@code Content-Length}; {@code extraHeaders} are whole lines. */
    public static String response(int status, String body, String... extraHeaders) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder("HTTP/1.1 ")
                .append(status)
                .append(' ')
                .append(reason(status))
                .append("\r\nContent-Type: text/plain\r\nContent-Length: ")
                .append(bytes.length)
                .append("\r\n");
        for (String header : extraHeaders) {
            head.append(header).append("\r\n");
        }
        head.append("\r\n").append(new String(bytes, StandardCharsets.ISO_8859_1));
        return head.toString();
    }

    /** A keep-alive {@code 200} with {@code body}. */
    public static Action ok(String body) {
        return respond(response(200, body));
    }

    /** Writes {@code raw}, waits {@code delayMillis}, then closes (FIN): the keep-alive close race. */
    public static Action respondThenClose(String raw, long delayMillis) {
        return (socket, out) -> {
            out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            if (delayMillis > 0) {
                Thread.sleep(delayMillis);
            }
            socket.close();
            return false;
        };
    }

    /** Closes (FIN) without answering. */
    public static Action closeBeforeResponding() {
        return (socket, out) -> {
            socket.close();
            return false;
        };
    }

    /** Resets the connection (SO_LINGER 0, then close: RST) without answering. */
    public static Action reset() {
        return (socket, out) -> {
            resetNow(socket);
            return false;
        };
    }

    /** Sleeps {@code millis} (cut short when the upstream closes), then performs {@code then}. */
    public static Action stall(long millis, Action then) {
        return (socket, out) -> {
            Thread.sleep(millis);
            return then.perform(socket, out);
        };
    }

    /** Sleeps {@code millis} and closes: an upstream that never answers within any sane timeout. */
    public static Action stall(long millis) {
        return stall(millis, closeBeforeResponding());
    }

    /** Writes the response head {@code head} (ending with the blank line), then resets. */
    public static Action headersThenReset(String head) {
        return (socket, out) -> {
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            resetNow(socket);
            return false;
        };
    }

    /** Writes the response head {@code head} (ending with the blank line), then closes (FIN). */
    public static Action headersThenClose(String head) {
        return partialBodyThenClose(head, "");
    }

    /** Writes {@code head} and {@code partialBody}, then closes (FIN). */
    public static Action partialBodyThenClose(String head, String partialBody) {
        return (socket, out) -> {
            out.write((head + partialBody).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            socket.shutdownOutput();
            socket.close();
            return false;
        };
    }

    /** Answers {@code 101 Switching Protocols} although no upgrade was asked for, then holds the connection open. */
    public static Action switchingProtocols() {
        return (socket, out) -> {
            out.write(("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Thread.sleep(10_000);
            socket.close();
            return false;
        };
    }

    /** Answers a status line that is not HTTP, then closes. */
    public static Action malformedStatusLine() {
        return (socket, out) -> {
            out.write("HTTP/1.1 TWO-HUNDRED Okay-ish\r\nContent-Length: 2\r\n\r\nok"
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            socket.close();
            return false;
        };
    }

    private static void resetNow(Socket socket) throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            default -> "Status";
        };
    }

    // ---- machinery ----

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                int index = connections.getAndIncrement();
                sockets.add(socket);
                Thread thread = new Thread(() -> serve(socket, index), "scripted-upstream-" + index);
                thread.setDaemon(true);
                threads.add(thread);
                thread.start();
            } catch (IOException e) {
                if (!closed) {
                    continue;
                }
                return;
            }
        }
    }

    private void serve(Socket socket, int connection) {
        try (socket) {
            socket.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            for (int index = 0; !closed; index++) {
                Recorded request = readRequest(in, connection, index);
                if (request == null) {
                    return;
                }
                requests.add(request);
                if (!script.actionFor(request).perform(socket, out) || socket.isClosed()) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the peer went away, or the script broke the connection on purpose
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Recorded readRequest(InputStream in, int connection, int index) throws IOException {
        String requestLine = readLine(in);
        while (requestLine != null && requestLine.isEmpty()) {
            requestLine = readLine(in);
        }
        if (requestLine == null) {
            return null;
        }
        String[] parts = requestLine.split(" ", 3);
        if (parts.length < 3) {
            throw new IOException("bad request line: " + requestLine);
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String line = readLine(in); ; line = readLine(in)) {
            if (line == null) {
                return null;
            }
            if (line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("bad header line: " + line);
            }
            headers.computeIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(line.substring(colon + 1).trim());
        }
        byte[] body;
        List<String> te = headers.get("transfer-encoding");
        if (te != null && String.join(",", te).toLowerCase(Locale.ROOT).contains("chunked")) {
            body = readChunked(in);
        } else if (headers.containsKey("content-length")) {
            body = readExactly(in, Long.parseLong(headers.get("content-length").get(0)));
        } else {
            body = new byte[0];
        }
        if (body == null) {
            return null;
        }
        Map<String, List<String>> frozen = new LinkedHashMap<>();
        headers.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
        return new Recorded(
                parts[0],
                parts[1],
                parts[2],
                Collections.unmodifiableMap(frozen),
                body,
                connection,
                index,
                requestNumbers.getAndIncrement());
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            if (sizeLine == null) {
                return null;
            }
            int semicolon = sizeLine.indexOf(';');
            long size = Long.parseLong((semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).trim(), 16);
            if (size == 0) {
                for (String trailer = readLine(in); trailer == null || !trailer.isEmpty(); trailer = readLine(in)) {
                    if (trailer == null) {
                        return null;
                    }
                }
                return body.toByteArray();
            }
            byte[] chunk = readExactly(in, size);
            if (chunk == null || readLine(in) == null) {
                return null;
            }
            body.writeBytes(chunk);
        }
    }

    private static byte[] readExactly(InputStream in, long length) throws IOException {
        byte[] bytes = in.readNBytes((int) length);
        return bytes.length == length ? bytes : null;
    }

    /** One CRLF- (or LF-) terminated line in ISO-8859-1, without the terminator; null at EOF. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
            if (line.size() > 1 << 20) {
                throw new IOException("line too long");
            }
        }
        return null;
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        threads.forEach(Thread::interrupt);
    }
}
