package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReplayMemoryTest {

    @Test
    void reservesUpToTheLimitAndNoFurther() {
        ReplayMemory memory = new ReplayMemory(100);
        assertThat(memory.tryReserve(60)).isTrue();
        assertThat(memory.tryReserve(41)).isFalse();
        assertThat(memory.used()).isEqualTo(60);
        assertThat(memory.tryReserve(40)).isTrue();
        assertThat(memory.used()).isEqualTo(100);
    }

    @Test
    void releasedBytesCanBeReservedAgain() {
        ReplayMemory memory = new ReplayMemory(100);
        memory.tryReserve(100);
        memory.release(30);
        assertThat(memory.tryReserve(30)).isTrue();
        assertThat(memory.tryReserve(1)).isFalse();
    }

    @Test
    void anOverdraftIsCountedSoTheNextReservationWaitsForIt() {
        ReplayMemory memory = new ReplayMemory(100);
        memory.tryReserve(90);
        memory.reserveOverdraft(20);
        assertThat(memory.used()).isEqualTo(110);
        assertThat(memory.tryReserve(1)).isFalse();
        memory.release(110);
        assertThat(memory.used()).isZero();
    }
}
