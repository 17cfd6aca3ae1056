package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testing.ManualTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

class LeasedPacerTest {
    private static final long MS = 1_000_000L;
    private static final BudgetReport WINDOW = new BudgetReport(20, 19, 2_000, -1, -1, -1);

    /** A store whose replies the test gives by hand. */
    private static final class FakeStore implements BudgetStore {
        boolean healthy = true;
        double share = 0.5;
        final List<BiConsumer<LeaseReply, Throwable>> asked = new ArrayList<>();
        final List<LeaseRequest> requests = new ArrayList<>();
        final List<BudgetReport> reported = new ArrayList<>();

        @Override
        public boolean healthy() {
            return healthy;
        }

        @Override
        public double fallbackShare() {
            return share;
        }

        @Override
        public void take(String hash, LeaseRequest request, BiConsumer<LeaseReply, Throwable> done) {
            requests.add(request);
            asked.add(done);
        }

        @Override
        public void report(String hash, BudgetReport report, long window) {
            reported.add(report);
        }

        void reply(LeaseReply reply) {
            asked.remove(0).accept(reply, null);
        }

        void fail() {
            asked.remove(0).accept(null, new IllegalStateException("Connection refused"));
        }
    }

    private final ManualTime time = new ManualTime(1_000 * MS);
    private final FakeStore store = new FakeStore();
    private int wakes;
    private final LeasedPacer pacer = new LeasedPacer("abc", store, 0.05, () -> wakes++, time);

    @Test
    void requestsComeFromALeaseAndTheStoreIsAskedOncePerLease() {
        assertThat(pacer.tryTake(10, time.nanoTime())).isNull();
        assertThat(store.asked).hasSize(1);
        assertThat(pacer.tryTake(10, time.nanoTime())).isNull(); // one request for a lease at a time
        assertThat(store.asked).hasSize(1);

        store.reply(new BudgetStore.LeaseReply(BudgetStore.State.LEASED, 2, 100, 2_000, 7));

        assertThat(wakes).isEqualTo(1);
        assertThat(pacer.tryTake(10, time.nanoTime())).isEqualTo(new Grant(-1, 7, 10));
        assertThat(pacer.tryTake(10, time.nanoTime())).isEqualTo(new Grant(-1, 7, 10));
        assertThat(store.asked).isEmpty();
        assertThat(pacer.tryTake(10, time.nanoTime())).isNull();
        assertThat(store.asked).hasSize(1);
    }

    @Test
    void aLeaseEndsWithItsWindow() {
        pacer.tryTake(10, time.nanoTime());
        store.reply(new BudgetStore.LeaseReply(BudgetStore.State.LEASED, 5, 500, 100, 1));

        time.advance(100);

        assertThat(pacer.tryTake(10, time.nanoTime())).isNull();
    }

    @Test
    void aWaitReplyHoldsUntilItsTimeOrUntilTheWindowOpens() {
        pacer.tryTake(10, time.nanoTime());
        store.reply(new BudgetStore.LeaseReply(BudgetStore.State.WAIT, 0, 0, 700, 1));

        assertThat(pacer.nextChanceNanos(10, time.nanoTime())).isEqualTo(time.nanoTime() + 700 * MS);
        assertThat(pacer.tryTake(10, time.nanoTime())).isNull();
        assertThat(store.asked).isEmpty();

        pacer.windowOpened();

        assertThat(pacer.tryTake(10, time.nanoTime())).isNull();
        assertThat(store.asked).hasSize(1);
    }

    @Test
    void aProbesReportGoesToTheStoreAtOnceOthersWithTheNextLease() {
        pacer.tryTake(10, time.nanoTime());
        store.reply(new BudgetStore.LeaseReply(BudgetStore.State.PROBE, 1, 10, 1_000, 3));
        Grant probe = pacer.tryTake(10, time.nanoTime());

        pacer.report(probe, WINDOW, time.nanoTime());

        assertThat(store.reported).containsExactly(WINDOW);
        pacer.tryTake(10, time.nanoTime());
        store.reply(new BudgetStore.LeaseReply(BudgetStore.State.LEASED, 1, 10, 2_000, 3));
        Grant leased = pacer.tryTake(10, time.nanoTime());
        BudgetReport later = new BudgetReport(20, 17, 1_900, -1, -1, -1);
        pacer.report(leased, later, time.nanoTime());
        assertThat(store.reported).hasSize(1);
        pacer.tryTake(10, time.nanoTime());
        assertThat(store.requests.get(store.requests.size() - 1).report()).isEqualTo(later);
    }

    @Test
    void aFailedLeaseRequestPacesTheKeyLocallyAtOnceInsteadOfHoldingIt() {
        pacer.tryTake(10, time.nanoTime());
        store.reply(new BudgetStore.LeaseReply(BudgetStore.State.PROBE, 1, 10, 1_000, 1));
        pacer.report(pacer.tryTake(10, time.nanoTime()), WINDOW, time.nanoTime());
        pacer.tryTake(10, time.nanoTime());

        store.fail();

        // The mirror knows the window: 20 at share 0.5 less 5 % is 9 usable, 1 counted.
        int granted = 0;
        while (pacer.tryTake(10, time.nanoTime()) != null) {
            granted++;
        }
        assertThat(granted).isEqualTo(8);
        assertThat(store.asked).isEmpty();
        // When the while of local pacing ends, the queue looks at the store again.
        assertThat(pacer.nextChanceNanos(10, time.nanoTime()))
                .isEqualTo(time.nanoTime() + LeasedPacer.LOCAL_AFTER_FAILURE_MILLIS * MS);
    }

    @Test
    void whileTheStoreIsDownTheMirrorPacesAtTheFallbackShare() {
        store.healthy = false;
        pacer.report(Grant.NONE, WINDOW, time.nanoTime());
        store.share = 1.0 / 4;

        int granted = 0;
        while (pacer.tryTake(10, time.nanoTime()) != null) {
            granted++;
        }

        // floor(20 / 4 * 0.95) = 4 usable, 1 counted by the report.
        assertThat(granted).isEqualTo(3);
        assertThat(store.asked).isEmpty();
    }
}
