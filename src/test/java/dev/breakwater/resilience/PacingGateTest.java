package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.Priority;
import dev.breakwater.testing.ManualTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class PacingGateTest {
    private static final String KEY = "api:443 abc/gpt-4o";
    private static final long NO_LIMIT = Long.MAX_VALUE;
    private static final Executor DIRECT = Runnable::run;
    private static final BudgetReport FULL_WINDOW = new BudgetReport(10, 9, 1_000, -1, -1, -1);

    private final ManualTime time = new ManualTime(3_000_000_000L);
    private final RateLimitGate gate = gate(4);
    private final List<String> resumed = new ArrayList<>();

    private RateLimitGate gate(int maxQueued) {
        return new RateLimitGate(
                time, new GatePolicy(true, true, 0.05, maxQueued, 100, Priority.NORMAL, FleetLink.LOCAL));
    }

    private RateLimitGate.Admission admit(String name, Priority priority, long maxWaitNanos) {
        return gate.admit(KEY, 10, priority, maxWaitNanos, DIRECT, grant -> resumed.add(name), time);
    }

    /** Sends the first request and reports a window of 10 with 1 counted: 9 usable (headroom 5 %), 8 left. */
    private void learnWindow() {
        RateLimitGate.Pass first = (RateLimitGate.Pass) admit("first", Priority.NORMAL, NO_LIMIT);
        gate.onAnswer(KEY, first.grant(), FULL_WINDOW, false);
    }

    @Test
    void attemptsThatFitTheReportedBudgetPassAndTheRestWaitForTheReset() {
        learnWindow();
        for (int i = 0; i < 8; i++) {
            assertThat(admit("p" + i, Priority.NORMAL, NO_LIMIT)).isInstanceOf(RateLimitGate.Pass.class);
        }

        RateLimitGate.Admission held = admit("late", Priority.NORMAL, NO_LIMIT);

        assertThat(held).isInstanceOf(RateLimitGate.Held.class);
        assertThat(((RateLimitGate.Held) held).waitMillis()).isEqualTo(1_000);
        time.advance(999);
        assertThat(resumed).isEmpty();
        time.advance(1);
        assertThat(resumed).containsExactly("late"); // the probe of the new window
    }

    @Test
    void theProbesReportReleasesTheRestInPriorityThenArrivalOrder() {
        learnWindow();
        List<Grant> sent = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            sent.add(((RateLimitGate.Pass) admit("p" + i, Priority.NORMAL, NO_LIMIT)).grant());
        }
        sent.forEach(grant -> gate.onAnswer(KEY, grant, BudgetReport.NONE, false));
        admit("n1", Priority.NORMAL, NO_LIMIT);
        admit("l1", Priority.LOW, NO_LIMIT);
        admit("h1", Priority.HIGH, NO_LIMIT);
        admit("n2", Priority.NORMAL, NO_LIMIT);

        time.advance(1_000);
        assertThat(resumed).containsExactly("h1");
        gate.onAnswer(KEY, new Grant(9, 90, 10), FULL_WINDOW, false);

        assertThat(resumed).containsExactly("h1", "n1", "n2", "l1");
        assertThat(gate.held()).isZero();
    }

    @Test
    void aRequestThatCannotGoWithinItsWaitIsRefusedAtOnce() {
        learnWindow();
        for (int i = 0; i < 8; i++) {
            admit("p" + i, Priority.NORMAL, NO_LIMIT);
        }

        RateLimitGate.Admission refused = admit("hurried", Priority.NORMAL, 500_000_000L);

        assertThat(refused).isEqualTo(new RateLimitGate.Rejected(1, false));
        assertThat(gate.held()).isZero();
    }

    @Test
    void aFullQueueRefusesTheNextRequest() {
        learnWindow();
        for (int i = 0; i < 8; i++) {
            admit("p" + i, Priority.NORMAL, NO_LIMIT);
        }
        for (int i = 0; i < 4; i++) {
            assertThat(admit("q" + i, Priority.NORMAL, NO_LIMIT)).isInstanceOf(RateLimitGate.Held.class);
        }

        assertThat(admit("one too many", Priority.NORMAL, NO_LIMIT)).isEqualTo(new RateLimitGate.Rejected(1, true));
    }

    @Test
    void wouldPassLooksWithoutTaking() {
        learnWindow();
        for (int i = 0; i < 8; i++) {
            assertThat(gate.wouldPass(KEY, 10)).isTrue();
            admit("p" + i, Priority.NORMAL, NO_LIMIT);
        }
        assertThat(gate.wouldPass(KEY, 10)).isFalse();
        assertThat(gate.closedForMillis(KEY, 10)).isEqualTo(1_000);
    }
}
