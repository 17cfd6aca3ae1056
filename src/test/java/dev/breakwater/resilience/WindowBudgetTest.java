package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WindowBudgetTest {
    private static final long MS = 1_000_000L;
    private final WindowBudget budget = new WindowBudget(0.05);
    private long now = 5_000 * MS;

    private int takeAll() {
        int n = 0;
        while (budget.tryTake(1, now) >= 0) {
            n++;
            if (n > 1_000) {
                break;
            }
        }
        return n;
    }

    /** Takes what fits now and lets every grant fail without an answer; returns how many there were. */
    private int exhaust() {
        int n = 0;
        long seq;
        while ((seq = budget.tryTake(1, now)) >= 0 && n < 1_000) {
            budget.answered(seq, 1, now);
            n++;
        }
        return n;
    }

    /** The first request goes unknown; its answer reports a 2-second window of 20 with itself counted. */
    private void learnWindowOf20() {
        long first = budget.tryTake(1, now);
        budget.report(20, 19, 2_000 * MS, first, 1, now);
    }

    @Test
    void withNothingReportedEverythingGoes() {
        assertThat(takeAll()).isGreaterThan(1_000);
    }

    @Test
    void aReportedWindowGrantsItsLimitLessHeadroomAndWhatTheUpstreamCounted() {
        learnWindowOf20();

        // floor(20 * 0.95) = 19 usable, 1 already counted.
        assertThat(takeAll()).isEqualTo(18);
        assertThat(budget.nextChanceNanos(now)).isEqualTo(now + 2_000 * MS);
    }

    @Test
    void grantsStillInFlightCountOnTopOfWhatTheUpstreamCounted() {
        learnWindowOf20();
        long[] out = new long[10];
        for (int i = 0; i < out.length; i++) {
            out[i] = budget.tryTake(1, now);
        }
        // One of the ten answers; the upstream had counted it and the first: the other nine may still come.
        budget.report(20, 18, 1_990 * MS, out[0], 1, now + 10 * MS);

        assertThat(takeAll()).isEqualTo(8);
    }

    @Test
    void anAnswerOvertakenByANewerOneCannotLowerTheCount() {
        learnWindowOf20();
        long older = budget.tryTake(1, now);
        long newer = budget.tryTake(1, now);

        budget.report(20, 17, 1_990 * MS, newer, 1, now); // counted both: 3 counted, 1 in flight
        budget.report(20, 18, 1_990 * MS, older, 1, now); // read before the newer one arrived

        assertThat(takeAll()).isEqualTo(15);
    }

    @Test
    void aRefillingBudgetFreesRoomAsItsReportsSay() {
        learnWindowOf20();
        List<Long> out = new ArrayList<>();
        long seq;
        while ((seq = budget.tryTake(1, now)) >= 0) {
            out.add(seq);
        }
        assertThat(out).hasSize(18);

        // OpenAI's budget refills continuously: by the time these answer, most of it is back.
        for (long s : out) {
            budget.report(20, 15, 300 * MS, s, 1, now + 100 * MS);
        }

        now += 100 * MS;
        assertThat(takeAll()).isEqualTo(14);
    }

    @Test
    void anotherClientOfTheKeyRaisesWhatCounts() {
        long first = budget.tryTake(1, now);
        budget.report(20, 5, 2_000 * MS, first, 1, now);

        assertThat(takeAll()).isEqualTo(4);
    }

    @Test
    void afterTheResetOneProbeGoesUntilItsAnswerReportsTheNewWindow() {
        learnWindowOf20();
        exhaust();

        now += 2_000 * MS;
        long probe = budget.tryTake(1, now);
        assertThat(probe).isNotNegative();
        assertThat(budget.tryTake(1, now)).isEqualTo(-1);

        budget.report(20, 19, 2_000 * MS, probe, 1, now + 3 * MS);
        assertThat(takeAll()).isEqualTo(18);
    }

    @Test
    void aLateReportOfTheLastWindowIsIgnored() {
        learnWindowOf20();
        long old = budget.tryTake(1, now);

        now += 2_000 * MS;
        long probe = budget.tryTake(1, now);
        budget.report(20, 0, 1 * MS, old, 1, now); // granted in the old window: says nothing of this one
        budget.report(20, 19, 2_000 * MS, probe, 1, now);

        assertThat(takeAll()).isEqualTo(18);
    }

    @Test
    void aProbeThatGotNoReportLetsTheNextOneGo() {
        learnWindowOf20();
        now += 2_000 * MS;
        long probe = budget.tryTake(1, now);
        assertThat(budget.tryTake(1, now)).isEqualTo(-1);

        budget.answered(probe, 1, now);

        assertThat(budget.tryTake(1, now)).isNotNegative();
    }

    @Test
    void anUnansweredProbeTimesOut() {
        learnWindowOf20();
        now += 2_000 * MS;
        budget.tryTake(1, now);

        assertThat(budget.nextChanceNanos(now)).isEqualTo(now + WindowBudget.PROBE_TIMEOUT_MILLIS * MS);
        now += WindowBudget.PROBE_TIMEOUT_MILLIS * MS;
        assertThat(budget.tryTake(1, now)).isNotNegative();
    }

    @Test
    void aRequestLargerThanTheWholeWindowGoesFirstInAWindowRatherThanNever() {
        long first = budget.tryTake(100, now);
        budget.report(1_000, 900, 60_000 * MS, first, 100, now);

        assertThat(budget.tryTake(5_000, now)).isEqualTo(-1);
        now += 60_000 * MS;
        long probe = budget.tryTake(5_000, now);
        assertThat(probe).isNotNegative();
    }

    @Test
    void aShareOfTheLimitPacesAFleetMemberWithoutRedis() {
        long first = budget.tryTake(1, now);
        budget.share(1.0 / 3);
        budget.report(30, 29, 2_000 * MS, first, 1, now);

        // floor(30 / 3 * 0.95) = 9 usable, 1 counted.
        assertThat(takeAll()).isEqualTo(8);
    }
}
