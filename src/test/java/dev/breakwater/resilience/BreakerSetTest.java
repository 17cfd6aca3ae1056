package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.CircuitBreakerSpec;
import dev.breakwater.config.SlidingWindowType;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BreakerSetTest {
    private static final CircuitBreakerSpec SPEC = new CircuitBreakerSpec(
            true,
            50,
            SlidingWindowType.COUNT_BASED,
            10,
            4,
            Duration.ofSeconds(30),
            1,
            100,
            Duration.ofMinutes(10),
            Set.of(500, 502, 503, 504));

    private final FakeClock clock = new FakeClock();
    private final CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
    private final BreakerSet set = new BreakerSet(
            new RouteBreaker("r", SPEC, clock, registry),
            true,
            model -> new RouteBreaker("r[" + model + "]", SPEC, clock, registry));

    @Test
    void eachModelGetsItsOwnBreakerOnFirstUseAndLookingMakesNone() {
        assertThat(set.peek("gpt-4o")).isSameAs(set.shared());
        assertThat(set.byModel()).isEmpty();

        RouteBreaker made = set.forModel("gpt-4o");

        assertThat(made)
                .isNotSameAs(set.shared())
                .isSameAs(set.forModel("gpt-4o"))
                .isSameAs(set.peek("gpt-4o"));
        assertThat(set.forModel("gpt-4o-mini")).isNotSameAs(made);
    }

    @Test
    void oddOrTooManyModelNamesShareTheModelLessBreaker() {
        assertThat(set.forModel("x".repeat(101))).isSameAs(set.shared());
        assertThat(set.forModel("a\nb")).isSameAs(set.shared());
        assertThat(set.forModel(null)).isSameAs(set.shared());
        for (int i = 0; i < BreakerSet.MAX_MODELS; i++) {
            set.forModel("m" + i);
        }

        assertThat(set.forModel("one-too-many")).isSameAs(set.shared());
        assertThat(set.byModel()).hasSize(BreakerSet.MAX_MODELS);
    }

    @Test
    void aModelSeenWhileTheSetIsForcedOpenStartsForcedOpen() {
        set.shared().circuitBreaker().transitionToForcedOpenState();

        assertThat(set.forModel("new-model").circuitBreaker().getState()).isEqualTo(CircuitBreaker.State.FORCED_OPEN);
    }
}
