package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.RetryBudgetSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

    private static RetryBudget budget(double percent, int min, int requests) {
        RetryBudget budget = new RetryBudget(new RetryBudgetSpec(percent, min));
        for (int i = 0; i < requests; i++) {
            budget.requestStarted();
        }
        return budget;
    }

    @Test
    void minConcurrencyIsAFloorWhenFewRequests() {
        RetryBudget budget = budget(20, 3, 2);

        assertThat(budget.tryStartRetry()).isTrue();
        assertThat(budget.tryStartRetry()).isTrue();
        assertThat(budget.tryStartRetry()).isTrue();
        assertThat(budget.tryStartRetry()).isFalse();

        assertThat(budget.retriesInFlight()).isEqualTo(3);
        assertThat(budget.refusedRetries()).isEqualTo(1);
    }

    @Test
    void minConcurrencyAppliesEvenWithNoRequests() {
        RetryBudget budget = budget(20, 1, 0);
        assertThat(budget.tryStartRetry()).isTrue();
        assertThat(budget.tryStartRetry()).isFalse();
    }

    @Test
    void percentOfRequestsInFlight() {
        RetryBudget budget = budget(20, 3, 100);
        assertThat(budget.requestsInFlight()).isEqualTo(100);

        for (int i = 0; i < 20; i++) {
            assertThat(budget.tryStartRetry()).as("retry %d", i + 1).isTrue();
        }
        assertThat(budget.tryStartRetry()).as("21st").isFalse();

        assertThat(budget.retriesInFlight()).isEqualTo(20);
        assertThat(budget.refusedRetries()).isEqualTo(1);
    }

    @Test
    void fractionalAllowanceRoundsDown() {
        RetryBudget budget = budget(20, 0, 9);
        assertThat(budget.tryStartRetry()).isTrue();
        assertThat(budget.tryStartRetry()).as("9 * 20% = 1.8 -> 1").isFalse();
    }

    @Test
    void theAllowanceFollowsRequestsInFlight() {
        RetryBudget budget = budget(50, 0, 4);
        assertThat(budget.tryStartRetry()).isTrue();
        assertThat(budget.tryStartRetry()).isTrue();
        assertThat(budget.tryStartRetry()).isFalse();

        budget.requestFinished();
        budget.requestFinished();
        budget.retryFinished();
        assertThat(budget.requestsInFlight()).isEqualTo(2);
        assertThat(budget.tryStartRetry())
                .as("2 requests at 50% allow 1, 1 in flight")
                .isFalse();

        budget.requestStarted();
        budget.requestStarted();
        assertThat(budget.tryStartRetry()).isTrue();
        assertThat(budget.refusedRetries()).isEqualTo(2);
    }

    @Test
    void retryFinishedFreesAPlace() {
        RetryBudget budget = budget(20, 0, 10);
        assertThat(budget.tryStartRetry()).isTrue();
        assertThat(budget.tryStartRetry()).isTrue();
        assertThat(budget.tryStartRetry()).isFalse();

        budget.retryFinished();

        assertThat(budget.retriesInFlight()).isEqualTo(1);
        assertThat(budget.tryStartRetry()).isTrue();
        assertThat(budget.tryStartRetry()).isFalse();
        assertThat(budget.refusedRetries()).isEqualTo(2);
    }

    @Test
    void zeroPercentAndZeroMinimumRefusesAll() {
        RetryBudget budget = budget(0, 0, 1_000);
        for (int i = 0; i < 5; i++) {
            assertThat(budget.tryStartRetry()).isFalse();
        }
        assertThat(budget.retriesInFlight()).isZero();
        assertThat(budget.refusedRetries()).isEqualTo(5);
    }

    @Test
    void concurrentStartsAndFinishesBalance() throws Exception {
        RetryBudget budget = budget(10, 2, 50);
        int threads = 8;
        int rounds = 20_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<int[]>> results = new ArrayList<>();
            int[] maxSeen = new int[threads];
            for (int t = 0; t < threads; t++) {
                int index = t;
                results.add(pool.submit(() -> {
                    start.await();
                    int started = 0;
                    int refused = 0;
                    for (int i = 0; i < rounds; i++) {
                        if (budget.tryStartRetry()) {
                            started++;
                            maxSeen[index] = Math.max(maxSeen[index], budget.retriesInFlight());
                            budget.retryFinished();
                        } else {
                            refused++;
                        }
                    }
                    return new int[] {started, refused};
                }));
            }
            start.countDown();
            long refused = 0;
            for (Future<int[]> result : results) {
                int[] counts = result.get(30, TimeUnit.SECONDS);
                assertThat(counts[0] + counts[1]).isEqualTo(rounds);
                refused += counts[1];
            }

            assertThat(budget.retriesInFlight()).isZero();
            assertThat(budget.refusedRetries()).isEqualTo(refused);
            for (int max : maxSeen) {
                assertThat(max).as("never above 50 * 10% = 5").isBetween(0, 5);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
