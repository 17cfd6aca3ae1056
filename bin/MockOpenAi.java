import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local stand-in for the OpenAI API, for trying Breakwater without an API key or a network. JDK only: run it
 * with {@code bin/mock-openai} (or {@code java bin/MockOpenAi.java}); see {@code --help}.
 */
public final class MockOpenAi {
    private static final String HELP = """
            Usage: bin/mock-openai [--port N] [--host ADDRESS] [--quiet]

            A local stand-in for the OpenAI API (no key, no network), on 127.0.0.1:9999 by default
            (env MOCK_OPENAI_PORT and MOCK_OPENAI_HOST also set them; port 0 picks a free one).

              POST /v1/chat/completions   a chat.completion echoing the request's model; with "stream": true,
                                          a server-sent stream of chat.completion.chunk events ending data: [DONE]
              GET  /v1/models             a short model list

            Failures on demand, to watch Breakwater retry:
              x-mock-fail: N              the first N attempts of the request fail, then it succeeds. Attempts
                                          are counted per x-request-id, which Breakwater sends unchanged on
                                          every attempt of one request.
              x-mock-fail-status: S       the failing status: 429 (default, with Retry-After: 1), 500, 502,
                                          503 (with Retry-After: 1) or 504

            Each request is logged to stderr unless --quiet is given.
            """;

    private static final Pattern MODEL = Pattern.compile("\"model\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern STREAM = Pattern.compile("\"stream\"\\s*:\\s*true");
    private static final int MAX_BODY = 1 << 20;

    private final AtomicLong ids = new AtomicLong();
    /** Attempts seen per request id; the oldest ids are forgotten beyond 10,000. */
    private final Map<String, Integer> attempts = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
            return size() > 10_000;
        }
    };
    private final boolean quiet;

    private MockOpenAi(boolean quiet) {
        this.quiet = quiet;
    }

    public static void main(String[] args) throws IOException {
        String host = env("MOCK_OPENAI_HOST", "127.0.0.1");
        String port = env("MOCK_OPENAI_PORT", "9999");
        boolean quiet = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port", "-p" -> port = value(args, ++i);
                case "--host" -> host = value(args, ++i);
                case "--quiet", "-q" -> quiet = true;
                case "--help", "-h" -> {
                    System.out.print(HELP);
                    return;
                }
                default -> usage("unknown option '" + args[i] + "'");
            }
        }
        int portNumber = -1;
        try {
            portNumber = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            // reported below
        }
        if (portNumber < 0 || portNumber > 65535) {
            usage("not a port: '" + port + "'");
        }
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, portNumber), 128);
        } catch (IOException e) {
            System.err.println("mock-openai: cannot listen on " + host + ":" + port + ": " + e.getMessage());
            System.exit(1);
            return;
        }
        MockOpenAi mock = new MockOpenAi(quiet);
        server.createContext("/", mock::handle);
        server.setExecutor(Executors.newFixedThreadPool(32));
        server.start();
        System.err.println("mock-openai: listening on http://" + host + ":" + server.getAddress().getPort()
                + " (POST /v1/chat/completions, GET /v1/models; --help for x-mock-fail)");
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            usage(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static void usage(String problem) {
        System.err.println("mock-openai: " + problem + " (see --help)");
        System.exit(2);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            byte[] body = exchange.getRequestBody().readNBytes(MAX_BODY);
            exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
            String requestId = header(exchange, "x-request-id", "");
            exchange.getResponseHeaders().set("x-request-id", "req_mock_" + ids.incrementAndGet());

            if (path.equals("/v1/models")) {
                if (!method.equals("GET")) {
                    error(exchange, 405, "Method " + method + " is not allowed on " + path, "invalid_request_error",
                            "method_not_allowed");
                    return;
                }
                json(exchange, 200, """
                        {"object":"list","data":[\
                        {"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},\
                        {"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},\
                        {"id":"o3-mini","object":"model","created":1737146383,"owned_by":"system"}]}""");
                log(method, path, requestId, "200");
                return;
            }
            if (!path.equals("/v1/chat/completions")) {
                error(exchange, 404, "Unknown request URL: " + method + " " + path + " (the mock serves POST "
                        + "/v1/chat/completions and GET /v1/models)", "invalid_request_error", "unknown_url");
                log(method, path, requestId, "404");
                return;
            }
            if (!method.equals("POST")) {
                error(exchange, 405, "Method " + method + " is not allowed on " + path, "invalid_request_error",
                        "method_not_allowed");
                log(method, path, requestId, "405");
                return;
            }

            int attempt = countAttempt(requestId);
            int fail = intHeader(exchange, "x-mock-fail", 0);
            if (attempt <= fail) {
                int status = intHeader(exchange, "x-mock-fail-status", 429);
                failWith(exchange, status);
                log(method, path, requestId, status + " (x-mock-fail: attempt " + attempt + " of " + fail + " fails)");
                return;
            }

            String text = new String(body, StandardCharsets.UTF_8);
            Matcher model = MODEL.matcher(text);
            if (!model.find()) {
                error(exchange, 400, "you must provide a model parameter", "invalid_request_error", null);
                log(method, path, requestId, "400 (no model)");
                return;
            }
            String modelName = model.group(1);
            String id = "chatcmpl-mock" + ids.get();
            long created = System.currentTimeMillis() / 1000;
            String suffix = attempt > 1 ? " after " + (attempt - 1) + " failed attempt(s)" : "";
            if (STREAM.matcher(text).find()) {
                stream(exchange, id, created, modelName, suffix);
                log(method, path, requestId, "200 (stream)" + suffix);
            } else {
                String content = "Hello from the mock OpenAI API" + suffix + ".";
                json(exchange, 200, "{\"id\":\"" + id + "\",\"object\":\"chat.completion\",\"created\":" + created
                        + ",\"model\":\"" + modelName + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                        + "\"assistant\",\"content\":\"" + content + "\",\"refusal\":null},\"logprobs\":null,"
                        + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":9,"
                        + "\"total_tokens\":17},\"system_fingerprint\":\"fp_mock\"}");
                log(method, path, requestId, "200" + suffix);
            }
        } catch (IOException e) {
            // the client went away; nothing to answer
        }
    }

    private synchronized int countAttempt(String requestId) {
        return attempts.merge(requestId, 1, Integer::sum);
    }

    private static void failWith(HttpExchange exchange, int status) throws IOException {
        switch (status) {
            case 429 -> {
                exchange.getResponseHeaders().set("Retry-After", "1");
                error(exchange, 429, "Rate limit reached for requests (mock). Please try again in 1s.", "requests",
                        "rate_limit_exceeded");
            }
            case 503 -> {
                exchange.getResponseHeaders().set("Retry-After", "1");
                error(exchange, 503, "The server is overloaded or not ready yet (mock).", "server_error", null);
            }
            case 500, 502, 504 -> error(exchange, status, "The server had an error while processing your request "
                    + "(mock).", "server_error", null);
            default -> error(exchange, 400, "x-mock-fail-status must be 429, 500, 502, 503 or 504",
                    "invalid_request_error", null);
        }
    }

    private static void stream(HttpExchange exchange, String id, long created, String model, String suffix)
            throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0); // chunked
        OutputStream out = exchange.getResponseBody();
        String head = "{\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":" + created
                + ",\"model\":\"" + model + "\",\"system_fingerprint\":\"fp_mock\",\"choices\":[{\"index\":0,";
        String[] parts = {"Hello", " from", " the", " mock", " OpenAI", " API" + suffix, "."};
        event(out, head + "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
                + "\"finish_reason\":null}]}");
        for (String part : parts) {
            pause();
            event(out, head + "\"delta\":{\"content\":\"" + part + "\"},\"logprobs\":null,\"finish_reason\":null}]}");
        }
        event(out, head + "\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}");
        event(out, "[DONE]");
    }

    private static void event(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void pause() {
        try {
            Thread.sleep(100); // so that a reader sees the events arrive one by one
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void error(HttpExchange exchange, int status, String message, String type, String code)
            throws IOException {
        json(exchange, status, "{\"error\":{\"message\":\"" + message.replace("\"", "\\\"") + "\",\"type\":\""
                + type + "\",\"param\":null,\"code\":" + (code == null ? "null" : "\"" + code + "\"") + "}}");
    }

    private static void json(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static String header(HttpExchange exchange, String name, String fallback) {
        String value = exchange.getRequestHeaders().getFirst(name);
        return value == null ? fallback : value.trim();
    }

    private static int intHeader(HttpExchange exchange, String name, int fallback) {
        try {
            return Integer.parseInt(header(exchange, name, String.valueOf(fallback)));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private void log(String method, String path, String requestId, String outcome) {
        if (!quiet) {
            System.err.println("mock-openai: " + method + " " + path + " x-request-id=" + (requestId.isEmpty() ? "-"
                    : requestId) + " -> " + outcome);
        }
    }
}
