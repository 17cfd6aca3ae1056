package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.Priority;
import dev.breakwater.config.Provider;
import dev.breakwater.testing.ManualTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RateLimitGateTest {
    private static final String KEY = "gpt-4o";
    private static final long NO_LIMIT = Long.MAX_VALUE;
    private static final Executor DIRECT = Runnable::run;

    private ManualTime time = new ManualTime(7_000_000_000L);
    private RateLimitGate gate = new RateLimitGate(time, Gates.CLOSE_ONLY);
    private final List<String> resumed = new ArrayList<>();

    private static long millis(long ms) {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }

    private RateLimitGate.Admission admit(String key, String name) {
        return admit(key, name, NO_LIMIT);
    }

    private RateLimitGate.Admission admit(String key, String name, long maxWaitNanos) {
        return gate.admit(key, 0, Priority.NORMAL, maxWaitNanos, DIRECT, grant -> resumed.add(name), time);
    }

    private RateLimitGate.Held held(String key, String name) {
        RateLimitGate.Admission admission = admit(key, name);
        assertThat(admission).isInstanceOf(RateLimitGate.Held.class);
        return (RateLimitGate.Held) admission;
    }

    private void holdAll(String... names) {
        for (String name : names) {
            held(KEY, name);
        }
    }

    @Test
    void openGatePasses() {
        assertThat(gate.isActive()).isFalse();
        assertThat(admit(KEY, "a")).isEqualTo(new RateLimitGate.Pass(Grant.NONE));
        assertThat(gate.held()).isZero();
        assertThat(resumed).isEmpty();
    }

    @Test
    void closedGateHoldsUntilItsTime() {
        gate.close(KEY, 1_000, time);

        RateLimitGate.Held held = held(KEY, "a");

        assertThat(gate.isActive()).isTrue();
        assertThat(held.waitMillis()).isEqualTo(1_000);
        assertThat(gate.held()).isEqualTo(1);
        time.advance(999);
        assertThat(resumed).isEmpty();
        time.advance(1);
        assertThat(resumed).containsExactly("a");
        assertThat(gate.held()).isZero();
        assertThat(gate.isActive()).isFalse();
    }

    @Test
    void heldWaitIsTheTimeLeft() {
        gate.close(KEY, 1_000, time);
        time.advance(250);

        assertThat(held(KEY, "a").waitMillis()).isEqualTo(750);
    }

    @Test
    void otherKeysPass() {
        gate.close(KEY, 1_000, time);

        assertThat(admit("gpt-4o-mini", "other")).isEqualTo(new RateLimitGate.Pass(Grant.NONE));
        assertThat(admit("", "route")).isEqualTo(new RateLimitGate.Pass(Grant.NONE));
        assertThat(gate.held()).isZero();
    }

    @Test
    void requestThatMayNotWaitThatLongIsRejectedWithWholeSecondsRoundedUp() {
        gate.close(KEY, 1_500, time);

        assertThat(admit(KEY, "a", millis(1_000))).isEqualTo(new RateLimitGate.Rejected(2, false));
        time.advance(501);
        assertThat(admit(KEY, "b", millis(998))).isEqualTo(new RateLimitGate.Rejected(1, false));
        assertThat(gate.held()).isZero();
        time.advance(999);
        assertThat(resumed).isEmpty();
    }

    @Test
    void requestThatMayWaitExactlyTheRemainingTimeIsHeld() {
        gate.close(KEY, 1_000, time);

        assertThat(admit(KEY, "a", millis(1_000))).isInstanceOf(RateLimitGate.Held.class);
    }

    @Test
    void releaseStartsWithTheFirstWaveThenTwoMorePerAnswer() {
        gate.close(KEY, 1_000, time);
        holdAll("a", "b", "c", "d", "e", "f", "g");

        time.advance(1_000);
        assertThat(resumed).containsExactly("a", "b");
        assertThat(gate.held()).isEqualTo(5);

        gate.onAnswer(KEY);
        assertThat(resumed).containsExactly("a", "b", "c", "d");
        gate.onAnswer(KEY);
        assertThat(resumed).containsExactly("a", "b", "c", "d", "e", "f");
        assertThat(gate.isActive()).isTrue();
        gate.onAnswer(KEY);
        assertThat(resumed).containsExactly("a", "b", "c", "d", "e", "f", "g");

        assertThat(gate.held()).isZero();
        assertThat(gate.isActive()).isFalse();
        assertThat(time.pending()).isZero();
        assertThat(admit(KEY, "late")).isEqualTo(new RateLimitGate.Pass(Grant.NONE));
    }

    @Test
    void answersBeforeTheGateOpensReleaseNobody() {
        gate.close(KEY, 1_000, time);
        holdAll("a", "b", "c");

        gate.onAnswer(KEY);
        time.advance(999);
        gate.onAnswer(KEY);

        assertThat(resumed).isEmpty();
        assertThat(gate.held()).isEqualTo(3);
    }

    @Test
    void answerForAnotherOrUnknownKeyReleasesNobody() {
        gate.close(KEY, 1_000, time);
        holdAll("a", "b", "c");
        time.advance(1_000);

        gate.onAnswer("other");

        assertThat(resumed).containsExactly("a", "b");
    }

    @Test
    void withoutAnswersTheNextWaveGoesAfterTheNudgeInterval() {
        gate.close(KEY, 1_000, time);
        holdAll("a", "b", "c", "d", "e");

        time.advance(1_000);
        assertThat(resumed).containsExactly("a", "b");
        time.advance(999);
        assertThat(resumed).containsExactly("a", "b");
        time.advance(1);
        assertThat(resumed).containsExactly("a", "b", "c", "d");
        time.advance(1_000);
        assertThat(resumed).containsExactly("a", "b", "c", "d", "e");

        assertThat(gate.isActive()).isFalse();
        assertThat(time.pending()).isZero();
    }

    @Test
    void anAnswerRestartsTheNudgeInterval() {
        gate.close(KEY, 1_000, time);
        holdAll("a", "b", "c", "d", "e", "f", "g");
        time.advance(1_000);

        time.advance(600);
        gate.onAnswer(KEY);
        assertThat(resumed).containsExactly("a", "b", "c", "d");
        time.advance(999);
        assertThat(resumed).containsExactly("a", "b", "c", "d");
        time.advance(1);
        assertThat(resumed).containsExactly("a", "b", "c", "d", "e", "f");
    }

    @Test
    void cancelledTicketIsNeverResumed() {
        gate.close(KEY, 1_000, time);
        RateLimitGate.Held a = held(KEY, "a");
        holdAll("b", "c");

        a.ticket().cancel();

        assertThat(gate.held()).isEqualTo(2);
        time.advance(1_000);
        assertThat(resumed).containsExactly("b", "c");
        gate.onAnswer(KEY);
        time.advance(10_000);
        assertThat(resumed).containsExactly("b", "c");
        assertThat(gate.held()).isZero();
    }

    @Test
    void cancellingTwiceOrAfterReleaseIsHarmless() {
        gate.close(KEY, 1_000, time);
        RateLimitGate.Held a = held(KEY, "a");
        RateLimitGate.Held b = held(KEY, "b");
        holdAll("c");

        a.ticket().cancel();
        a.ticket().cancel();
        assertThat(gate.held()).isEqualTo(2);
        time.advance(1_000);
        b.ticket().cancel();

        assertThat(gate.held()).isZero();
        assertThat(resumed).containsExactly("b", "c");
    }

    @Test
    void cancellingTheLastWaiterAfterTheGateOpenedForgetsTheKey() {
        gate.close(KEY, 1_000, time);
        holdAll("a", "b");
        RateLimitGate.Held c = held(KEY, "c");
        time.advance(1_000);

        c.ticket().cancel();

        assertThat(gate.isActive()).isFalse();
        assertThat(gate.held()).isZero();
        assertThat(time.pending()).isZero();
        assertThat(resumed).containsExactly("a", "b");
    }

    @Test
    void cancellingEveryWaiterBeforeTheGateOpensKeepsItClosedUntilItsTime() {
        gate.close(KEY, 1_000, time);
        held(KEY, "a").ticket().cancel();

        assertThat(gate.held()).isZero();
        assertThat(admit(KEY, "b", millis(500))).isInstanceOf(RateLimitGate.Rejected.class);
        time.advance(1_000);
        assertThat(gate.isActive()).isFalse();
        assertThat(resumed).isEmpty();
    }

    @Test
    void closedGateWithNobodyWaitingIsForgottenWhenItOpens() {
        gate.close(KEY, 1_000, time);

        time.advance(1_000);

        assertThat(gate.isActive()).isFalse();
        assertThat(time.pending()).isZero();
    }

    @Test
    void laterCloseExtendsTheGate() {
        gate.close(KEY, 1_000, time);
        holdAll("a");
        time.advance(500);

        gate.close(KEY, 1_000, time);

        assertThat(held(KEY, "b").waitMillis()).isEqualTo(1_000);
        time.advance(500);
        assertThat(resumed).isEmpty();
        time.advance(499);
        assertThat(resumed).isEmpty();
        time.advance(1);
        assertThat(resumed).containsExactly("a", "b");
    }

    @Test
    void shorterCloseDoesNotShortenTheGate() {
        gate.close(KEY, 1_000, time);
        holdAll("a");

        gate.close(KEY, 100, time);
        time.advance(999);

        assertThat(resumed).isEmpty();
        time.advance(1);
        assertThat(resumed).containsExactly("a");
    }

    @Test
    void closeDuringReleaseHoldsTheRestAgainAndRestartsWithTheFirstWave() {
        gate.close(KEY, 1_000, time);
        holdAll("a", "b", "c", "d", "e", "f");
        time.advance(1_000);
        gate.onAnswer(KEY);
        assertThat(resumed).containsExactly("a", "b", "c", "d");

        gate.close(KEY, 2_000, time); // one of the released requests met another 429
        gate.onAnswer(KEY);
        time.advance(1_999);

        assertThat(resumed).containsExactly("a", "b", "c", "d");
        time.advance(1);
        assertThat(resumed).containsExactly("a", "b", "c", "d", "e", "f");
    }

    @Test
    void arrivalsAfterTheGateOpenedQueueBehindEarlierWaiters() {
        gate.close(KEY, 1_000, time);
        holdAll("a", "b", "c");
        time.advance(1_000);
        assertThat(resumed).containsExactly("a", "b");

        RateLimitGate.Held d = held(KEY, "d");
        RateLimitGate.Held e = held(KEY, "e");

        assertThat(d.waitMillis()).isZero();
        assertThat(e.waitMillis()).isZero();
        gate.onAnswer(KEY);
        assertThat(resumed).containsExactly("a", "b", "c", "d");
        gate.onAnswer(KEY);
        assertThat(resumed).containsExactly("a", "b", "c", "d", "e");
        assertThat(gate.isActive()).isFalse();
    }

    @Test
    void waitersResumeOnTheirOwnExecutor() {
        List<Runnable> loopA = new ArrayList<>();
        List<Runnable> loopB = new ArrayList<>();
        gate.close(KEY, 1_000, time);
        gate.admit(KEY, 0, Priority.NORMAL, NO_LIMIT, loopA::add, grant -> resumed.add("a"), time);
        gate.admit(KEY, 0, Priority.NORMAL, NO_LIMIT, loopB::add, grant -> resumed.add("b"), time);

        time.advance(1_000);

        assertThat(resumed).isEmpty();
        assertThat(loopA).hasSize(1);
        assertThat(loopB).hasSize(1);
        loopB.get(0).run();
        loopA.get(0).run();
        assertThat(resumed).containsExactly("b", "a");
    }

    @Test
    void keysAreReleasedIndependently() {
        gate.close("a-model", 1_000, time);
        gate.close("b-model", 2_000, time);
        held("a-model", "a1");
        held("b-model", "b1");

        time.advance(1_000);
        assertThat(resumed).containsExactly("a1");
        assertThat(gate.isActive()).isTrue();
        time.advance(1_000);
        assertThat(resumed).containsExactly("a1", "b1");
        assertThat(gate.isActive()).isFalse();
    }

    @Test
    void zeroHintOpensOnTheNextTick() {
        gate.close(KEY, 0, time);
        assertThat(gate.isActive()).isTrue();

        time.advance(1);

        assertThat(gate.isActive()).isFalse();
    }

    @Test
    void worksWhateverTheTickersOrigin() {
        // System.nanoTime may be negative: its origin is arbitrary.
        time = new ManualTime(-7_000_000_000_000L);
        gate = new RateLimitGate(time, Gates.CLOSE_ONLY);

        gate.close(KEY, 1_000, time);
        RateLimitGate.Admission admission = admit(KEY, "a", millis(60_000));

        assertThat(admission).isInstanceOf(RateLimitGate.Held.class);
        assertThat(((RateLimitGate.Held) admission).waitMillis()).isEqualTo(1_000);
        time.advance(1_000);
        assertThat(resumed).containsExactly("a");
        assertThat(gate.isActive()).isFalse();
    }

    @Test
    void hugeHintDoesNotOverflow() {
        gate.close(KEY, ServerHints.HUGE_MILLIS, time);

        RateLimitGate.Admission admission = admit(KEY, "a", millis(60_000));

        assertThat(admission).isInstanceOf(RateLimitGate.Rejected.class);
        assertThat(((RateLimitGate.Rejected) admission).retryAfterSeconds()).isGreaterThan(365L * 24 * 3600);
        time.advance(1_000_000);
        assertThat(admit(KEY, "b", millis(60_000))).isInstanceOf(RateLimitGate.Rejected.class);
        assertThat(gate.isActive()).isTrue();
    }

    @Test
    void aHintOfASecondOrMoreClosesTheGate() {
        assertThat(RateLimitGate.closesOn(1_000, quotaAtZero(TestHead.of(429)))).isTrue();
        assertThat(RateLimitGate.closesOn(30_000, quotaAtZero(TestHead.of(429))))
                .isTrue();
    }

    @Test
    void aLoneSubSecondHintOnlyDelaysItsOwnRetry() {
        assertThat(RateLimitGate.closesOn(120, quotaAtZero(TestHead.of(429, "retry-after-ms", "120"))))
                .isFalse();
        assertThat(RateLimitGate.closesOn(120, quotaAtZero(TestHead.of(429, "x-ratelimit-remaining-requests", "12"))))
                .isFalse();
    }

    @Test
    void aSubSecondHintClosesTheGateWhenTheQuotaIsAtZero() {
        assertThat(RateLimitGate.closesOn(120, quotaAtZero(TestHead.of(429, "x-ratelimit-remaining-tokens", "0"))))
                .isTrue();
        assertThat(RateLimitGate.closesOn(20, quotaAtZero(TestHead.of(429, "x-ratelimit-remaining-requests", " 0 "))))
                .isTrue();
        assertThat(RateLimitGate.closesOn(
                        500, quotaAtZero(TestHead.of(429, "anthropic-ratelimit-requests-remaining", "0"))))
                .isTrue();
    }

    private static boolean quotaAtZero(ResponseHead head) {
        return ProviderRules.of(Provider.GENERIC).quotaExhausted(head);
    }
}
