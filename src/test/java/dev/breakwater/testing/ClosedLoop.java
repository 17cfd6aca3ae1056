package dev.breakwater.testing;

import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A closed-loop load of chat completions: {@code clients} workers, spread evenly over the given proxies, send
 * {@code total} requests between them, each worker one at a time, and count the statuses they got.
 */
public final class ClosedLoop {
    public static final String PATH = "/v1/chat/completions";
    public static final String BODY =
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":16}";

    private final AtomicInteger left;
    private final AtomicInteger done = new AtomicInteger();
    private final Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
    private final List<Long> latenciesNanos = java.util.Collections.synchronizedList(new ArrayList<>());

    private ClosedLoop(int total) {
        this.left = new AtomicInteger(total);
    }

    /** Runs the load to its end. */
    public static ClosedLoop run(List<URI> proxies, int clients, int total) throws Exception {
        ClosedLoop loop = new ClosedLoop(total);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            loop.start(pool, proxies, clients).forEach(f -> {
                try {
                    f.get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        } finally {
            pool.shutdownNow();
        }
        return loop;
    }

    /** Starts the load in the background; {@link #done()} counts the answered requests. */
    public static ClosedLoop start(ExecutorService pool, List<URI> proxies, int clients, int total) {
        ClosedLoop loop = new ClosedLoop(total);
        loop.start(pool, proxies, clients);
        return loop;
    }

    private List<Future<?>> start(ExecutorService pool, List<URI> proxies, int clients) {
        List<Future<?>> workers = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            URI uri = proxies.get(c % proxies.size());
            workers.add(pool.submit(() -> {
                while (left.getAndDecrement() > 0) {
                    long start = System.nanoTime();
                    HttpResponse<String> response = Http.post(
                            uri, BODY, "content-type", "application/json", "authorization", "Bearer sk-fleet");
                    latenciesNanos.add(System.nanoTime() - start);
                    statuses.merge(response.statusCode(), 1, Integer::sum);
                    done.incrementAndGet();
                }
                return null;
            }));
        }
        return workers;
    }

    /** Requests answered so far. */
    public int done() {
        return done.get();
    }

    /** Status code to how many requests got it. */
    public Map<Integer, Integer> statuses() {
        return Map.copyOf(statuses);
    }
}
