package dev.breakwater.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testing.TestProxy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An upstream that closes every keep-alive connection 2 ms after its response, the way load balancers do: the
 * next request Breakwater writes on that pooled connection meets a closed socket. No request may fail, and none
 * may run twice.
 */
class StaleConnectionIT {
    private ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final Map<String, AtomicInteger> processed = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();

    @BeforeEach
    void startUpstream() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.submit(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    connections.incrementAndGet();
                    threads.submit(() -> serveOneThenClose(socket));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        threads.shutdownNow();
    }

    /** Reads one request, answers it, waits 2 ms and closes without reading anything more. */
    private void serveOneThenClose(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            int length = 0;
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
            processed
                    .computeIfAbsent(head.split(" ")[0] + " " + body, k -> new AtomicInteger())
                    .incrementAndGet();
            OutputStream out = socket.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(2); // the upstream's own close delay, not a test wait
        } catch (IOException | InterruptedException e) {
            // the client side closed; nothing to do
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed before a head");
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void sequentialPostsWithoutIdempotencyKeyNeverFailAndNeverRunTwice() throws Exception {
        try (TestProxy proxy = TestProxy.start("""
                routes:
                  - name: tool
                    path-prefix: /tool/
                    upstream: http://127.0.0.1:%d
                    strip-prefix: true
                """.formatted(server.getLocalPort()))) {
            HttpClient client =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<Integer> statuses = new ArrayList<>();
            int requests = 300;
            for (int i = 0; i < requests; i++) {
                HttpResponse<String> response = client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/tool/refund"))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"n\":" + i + "}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                statuses.add(response.statusCode());
            }
            assertThat(statuses).as("statuses").containsOnly(200);
            assertThat(processed).hasSize(requests);
            assertThat(processed.values())
                    .allSatisfy(count -> assertThat(count.get()).isEqualTo(1));
        }
    }
}
