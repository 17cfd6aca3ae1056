import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Closed-loop load for the pacing bench (bench/pacing.sh): C workers share R chat completions, each sending its
 * next request as soon as its previous one is answered. JDK only: {@code java bench/PaceLoad.java --help}.
 */
public final class PaceLoad {
    private static final String HELP = """
            Usage: java bench/PaceLoad.java --url URL[,URL2,...] [--clients C] [--requests R] [--timeout D]
                                            [--model M] [--key K]

            C closed-loop workers (default 8) send R requests in all (default 200): POST <URL>/chat/completions
            with {"model":M,"messages":[{"role":"user","content":"hi"}],"max_tokens":16} and
            Authorization: Bearer K (default model gpt-4o-mini, key sk-test), over HTTP/1.1. With several URLs
            (one per Breakwater), worker i uses URL i mod N, so the workers are split evenly.
            --timeout is per request (default 300s; a bare number is seconds).

            Prints one JSON line: total, status (counts; "error" = no answer), codes (non-200 answers by
            status and error code, e.g. "429 rate_limit_exceeded"), byUrl (status counts per URL), elapsed_s,
            p50_ms, p99_ms, max_ms (every request's latency, answered or not) and goodput_rps (200s per second).
            Prints "started EPOCH_MS" on stderr when the first worker starts. Exits 0 whatever the answers.
            """;
    private static final Pattern CODE = Pattern.compile("\"code\"\\s*:\\s*\"([^\"]{1,64})\"");

    public static void main(String[] args) throws Exception {
        List<String> urls = new ArrayList<>();
        int clients = 8;
        int requests = 200;
        Duration timeout = Duration.ofSeconds(300);
        String model = "gpt-4o-mini";
        String key = "sk-test";
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--url" -> Arrays.stream(value(args, ++i).split(",")).map(String::trim)
                        .filter(s -> !s.isEmpty()).map(s -> s.replaceAll("/+$", "")).forEach(urls::add);
                case "--clients", "-c" -> clients = positive(a, value(args, ++i));
                case "--requests", "-n" -> requests = positive(a, value(args, ++i));
                case "--timeout" -> timeout = Duration.ofMillis(millis(a, value(args, ++i)));
                case "--model" -> model = value(args, ++i);
                case "--key" -> key = value(args, ++i);
                case "--help", "-h" -> {
                    System.out.print(HELP);
                    return;
                }
                default -> usage("unknown option '" + a + "'");
            }
        }
        if (urls.isEmpty()) {
            usage("--url is required");
        }
        String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"max_tokens\":16}";
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();

        int total = requests;
        AtomicInteger next = new AtomicInteger();
        long[] latencyNanos = new long[total];
        String[] outcome = new String[total]; // "200", "429 rate_limited", "error"
        int[] urlOf = new int[total];
        final Duration perRequest = timeout;
        final String auth = "Bearer " + key;
        List<Thread> workers = new ArrayList<>();
        long start = System.nanoTime();
        System.err.println("started " + System.currentTimeMillis()); // for scripts that time faults from here
        for (int w = 0; w < clients; w++) {
            int u = w % urls.size();
            URI uri = URI.create(urls.get(u) + "/chat/completions");
            Thread t = new Thread(() -> {
                for (int n; (n = next.getAndIncrement()) < total; ) {
                    HttpRequest req = HttpRequest.newBuilder(uri).timeout(perRequest)
                            .header("Content-Type", "application/json").header("Authorization", auth)
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build();
                    long t0 = System.nanoTime();
                    String result;
                    try {
                        HttpResponse<String> resp = client.send(req, HttpResponse.BodyHandlers.ofString());
                        result = String.valueOf(resp.statusCode());
                        if (resp.statusCode() != 200) {
                            Matcher m = CODE.matcher(resp.body());
                            result += " " + (m.find() ? m.group(1) : "-");
                        }
                    } catch (IOException e) {
                        result = "error " + e.getClass().getSimpleName();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    latencyNanos[n] = System.nanoTime() - t0;
                    outcome[n] = result;
                    urlOf[n] = u;
                }
            }, "worker-" + w);
            t.start();
            workers.add(t);
        }
        for (Thread t : workers) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;

        Map<String, Integer> status = new TreeMap<>();
        Map<String, Integer> codes = new TreeMap<>();
        List<Map<String, Integer>> byUrl = new ArrayList<>();
        for (int i = 0; i < urls.size(); i++) {
            byUrl.add(new TreeMap<>());
        }
        long[] sorted = latencyNanos.clone();
        Arrays.sort(sorted);
        int ok = 0;
        for (int i = 0; i < total; i++) {
            String o = outcome[i];
            String s = o.contains(" ") ? o.substring(0, o.indexOf(' ')) : o;
            status.merge(s, 1, Integer::sum);
            byUrl.get(urlOf[i]).merge(s, 1, Integer::sum);
            if (!s.equals("200")) {
                codes.merge(o, 1, Integer::sum);
            } else {
                ok++;
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append("{\"total\":").append(total).append(",\"clients\":").append(clients)
                .append(",\"status\":").append(json(status)).append(",\"codes\":").append(json(codes))
                .append(",\"byUrl\":{");
        for (int i = 0; i < urls.size(); i++) {
            sb.append(i == 0 ? "" : ",").append('"').append(urls.get(i)).append("\":").append(json(byUrl.get(i)));
        }
        sb.append("},\"elapsed_s\":").append(String.format("%.2f", elapsed))
                .append(",\"p50_ms\":").append(ms(percentile(sorted, 50)))
                .append(",\"p99_ms\":").append(ms(percentile(sorted, 99)))
                .append(",\"max_ms\":").append(ms(sorted[total - 1]))
                .append(",\"goodput_rps\":").append(String.format("%.2f", ok / elapsed)).append('}');
        System.out.println(sb);
    }

    /** Nearest-rank percentile of sorted values. */
    private static long percentile(long[] sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static String ms(long nanos) {
        return String.format("%.1f", nanos / 1e6);
    }

    private static String json(Map<String, Integer> counts) {
        StringBuilder sb = new StringBuilder("{");
        counts.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k.replace("\"", "'"))
                .append("\":").append(v));
        return sb.append('}').toString();
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            usage(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static int positive(String option, String text) {
        try {
            int n = Integer.parseInt(text.trim());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        usage(option + ": not a positive number: '" + text + "'");
        return 0;
    }

    private static long millis(String option, String text) {
        String t = text.trim().toLowerCase();
        try {
            if (t.endsWith("ms")) {
                return Long.parseLong(t.substring(0, t.length() - 2));
            }
            return Math.round(Double.parseDouble(t.endsWith("s") ? t.substring(0, t.length() - 1) : t) * 1000);
        } catch (NumberFormatException e) {
            usage(option + ": not a duration: '" + text + "'");
            return 0;
        }
    }

    private static void usage(String problem) {
        System.err.println("PaceLoad: " + problem + " (see --help)");
        System.exit(2);
    }
}
