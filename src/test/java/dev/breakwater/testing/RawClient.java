package dev.breakwater.testing;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Raw bytes to the proxy over one socket, and the raw response back, every read bounded by a timeout: for requests
 * that no well-behaved HTTP client would send, and for telling a clean end (EOF) from a reset.
 */
public final class RawClient implements AutoCloseable {

    /** How the read of a response ended. */
    public enum Ending {
        /** The response was complete by its own framing ({@code Content-Length}, chunked, or no body). */
        COMPLETE,
        /** The server closed the connection (read returned -1). */
        EOF,
        /** The connection was reset (or otherwise broke with a {@link SocketException}). */
        RESET,
        /** Nothing (more) arrived within the timeout. */
        TIMEOUT
    }

    /**
     * A response as read. {@code status} is -1 when no complete status line arrived. {@code contentLength} is -1
     * when the response declared none. Header names are lower case.
     */
    public record Response(
            int status,
            String statusLine,
            Map<String, List<String>> headers,
            byte[] body,
            long contentLength,
            boolean chunked,
            Ending ending) {

        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The {@code error.code} of a Breakwater error body, or null when the body is not one. */
        public String errorCode() {
            try {
                JsonObject error = new JsonObject(bodyText()).getJsonObject("error");
                return error == null ? null : error.getString("code");
            } catch (RuntimeException e) {
                return null;
            }
        }

        @Override
        public String toString() {
            return statusLine + " " + headers + " body=" + bodyText().substring(0, Math.min(300, body.length))
                    + " ending=" + ending;
        }
    }

    /** What the server did with the connection. */
    public enum Fate {
        CLOSED,
        RESET,
        OPEN
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new java.io.BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects to {@code 127.0.0.1:port}. */
    public static RawClient connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(5000);
        return new RawClient(socket);
    }

    public Socket socket() {
        return socket;
    }

    /** Writes {@code raw} (ISO-8859-1). Returns false when the write failed because the server broke the connection. */
    public boolean send(String raw) {
        return send(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    public boolean send(byte[] raw) {
        try {
            out.write(raw);
            out.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Sends {@code raw} and reads the final response (skipping {@code 100 Continue}). */
    public Response exchange(String raw, Duration timeout) throws IOException {
        send(raw);
        return readFinalResponse(timeout);
    }

    /** Reads responses until one that is not {@code 100 Continue}. */
    public Response readFinalResponse(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Response response = readResponse(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
            if (response.status() != 100) {
                return response;
            }
        }
    }

    /** Reads the next response (an interim {@code 1xx} included), the whole of it bounded by {@code timeout}. */
    public Response readResponse(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        Ending ending = null;
        // the head
        try {
            while (!endsWithBlankLine(head)) {
                int b = readByte(deadline);
                if (b == -1) {
                    ending = Ending.EOF;
                    break;
                }
                head.write(b);
            }
        } catch (SocketTimeoutException e) {
            ending = Ending.TIMEOUT;
        } catch (SocketException e) {
            ending = Ending.RESET;
        }
        String headText = head.toString(StandardCharsets.ISO_8859_1);
        String[] lines = headText.split("\r?\n");
        String statusLine = lines.length > 0 ? lines[0] : "";
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.computeIfAbsent(
                                lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(lines[i].substring(colon + 1).trim());
            }
        }
        int status = -1;
        if (ending == null) {
            String[] parts = statusLine.split(" ", 3);
            try {
                status = parts.length >= 2 ? Integer.parseInt(parts[1]) : -1;
            } catch (NumberFormatException e) {
                status = -1;
            }
        }
        List<String> lengths = headers.get("content-length");
        long contentLength = lengths == null ? -1 : Long.parseLong(lengths.get(0));
        List<String> te = headers.get("transfer-encoding");
        boolean chunked =
                te != null && String.join(",", te).toLowerCase(Locale.ROOT).contains("chunked");
        if (ending != null) {
            return new Response(status, statusLine, headers, new byte[0], contentLength, chunked, ending);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try {
            if (status / 100 == 1 || status == 204 || status == 304) {
                ending = Ending.COMPLETE;
            } else if (chunked) {
                ending = readChunked(body, deadline);
            } else if (contentLength >= 0) {
                ending = Ending.COMPLETE;
                for (long i = 0; i < contentLength; i++) {
                    int b = readByte(deadline);
                    if (b == -1) {
                        ending = Ending.EOF;
                        break;
                    }
                    body.write(b);
                }
            } else {
                for (int b = readByte(deadline); ; b = readByte(deadline)) {
                    if (b == -1) {
                        ending = Ending.EOF;
                        break;
                    }
                    body.write(b);
                }
            }
        } catch (SocketTimeoutException e) {
            ending = Ending.TIMEOUT;
        } catch (SocketException e) {
            ending = Ending.RESET;
        }
        return new Response(status, statusLine, headers, body.toByteArray(), contentLength, chunked, ending);
    }

    private Ending readChunked(ByteArrayOutputStream body, long deadline) throws IOException {
        while (true) {
            String sizeLine = readLine(deadline);
            if (sizeLine == null) {
                return Ending.EOF;
            }
            int semicolon = sizeLine.indexOf(';');
            long size;
            try {
                size = Long.parseLong((semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).trim(), 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size line: " + sizeLine);
            }
            if (size == 0) {
                for (String trailer = readLine(deadline); ; trailer = readLine(deadline)) {
                    if (trailer == null) {
                        return Ending.EOF;
                    }
                    if (trailer.isEmpty()) {
                        return Ending.COMPLETE;
                    }
                }
            }
            for (long i = 0; i < size; i++) {
                int b = readByte(deadline);
                if (b == -1) {
                    return Ending.EOF;
                }
                body.write(b);
            }
            if (readLine(deadline) == null) {
                return Ending.EOF;
            }
        }
    }

    private String readLine(long deadline) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = readByte(deadline); b != -1; b = readByte(deadline)) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.ISO_8859_1);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
        }
        return null;
    }

    private int readByte(long deadline) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
        return in.read();
    }

    private static boolean endsWithBlankLine(ByteArrayOutputStream head) {
        byte[] b = head.toByteArray();
        int n = b.length;
        return (n >= 4 && b[n - 4] == '\r' && b[n - 3] == '\n' && b[n - 2] == '\r' && b[n - 1] == '\n')
                || (n >= 2 && b[n - 2] == '\n' && b[n - 1] == '\n');
    }

    /**
     * Waits up to {@code timeout} for the server to close or reset the connection, discarding whatever it still
     * sends; {@link Fate#OPEN} when it did neither in time.
     */
    public Fate awaitClose(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] buffer = new byte[8192];
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Fate.OPEN;
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                if (in.read(buffer) == -1) {
                    return Fate.CLOSED;
                }
            }
        } catch (SocketTimeoutException e) {
            return Fate.OPEN;
        } catch (SocketException e) {
            return socket.isClosed() ? Fate.OPEN : Fate.RESET;
        } catch (IOException e) {
            return Fate.RESET;
        }
    }

    /** Whatever the server sends within {@code timeout} (up to its close), as ISO-8859-1 text. */
    public String readAvailable(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                int n = in.read(buffer);
                if (n == -1) {
                    break;
                }
                bytes.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // timeout or reset: return what arrived
        }
        return bytes.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
