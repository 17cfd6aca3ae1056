package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class IdempotencyStoreTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final IdempotencyStore store = new IdempotencyStore(3, 1 << 20, now::get, Optional.empty());
    private static final byte[] BODY = IdempotencyStore.bodyHash("{\"amount\":10}".getBytes(StandardCharsets.UTF_8));
    private static final long TTL = 60_000;

    private static StoredResponse response(int status) {
        return StoredResponse.of(status, List.of(Map.entry("content-type", "application/json")), "{}".getBytes());
    }

    @Test
    void theFirstRequestGoesAndADuplicateInFlightIsToldWhenToComeBack() {
        assertThat(store.claim("k", BODY, TTL, 5_000)).isInstanceOf(IdempotencyStore.First.class);
        now.addAndGet(1_500);

        IdempotencyStore.Claim duplicate = store.claim("k", BODY, TTL, 5_000);

        assertThat(duplicate).isInstanceOf(IdempotencyStore.InFlight.class);
        assertThat(((IdempotencyStore.InFlight) duplicate).retryAfterSeconds()).isEqualTo(4);
    }

    @Test
    void aFinishedRequestsResponseIsReplayedUntilItsTtl() {
        IdempotencyStore.First first = (IdempotencyStore.First) store.claim("k", BODY, TTL, 5_000);
        StoredResponse stored = response(201);
        first.ticket().complete(stored);

        assertThat(store.claim("k", BODY, TTL, 5_000)).isEqualTo(new IdempotencyStore.Replay(stored));
        now.addAndGet(TTL);
        assertThat(store.claim("k", BODY, TTL, 5_000)).isInstanceOf(IdempotencyStore.First.class);
    }

    @Test
    void aKeyReusedForAnotherBodyIsAMismatch() {
        store.claim("k", BODY, TTL, 5_000);

        assertThat(store.claim("k", IdempotencyStore.bodyHash(new byte[] {1}), TTL, 5_000))
                .isInstanceOf(IdempotencyStore.Mismatch.class);
    }

    @Test
    void aReleasedKeyIsFreeAndItsWaiterHearsSo() {
        IdempotencyStore.First first = (IdempotencyStore.First) store.claim("k", BODY, TTL, 5_000);
        IdempotencyStore.InFlight inFlight = (IdempotencyStore.InFlight) store.claim("k", BODY, TTL, 5_000);
        List<IdempotencyStore.Claim> heard = new ArrayList<>();
        inFlight.ticket().whenDone(heard::add);

        first.ticket().release();

        assertThat(heard).containsExactly((IdempotencyStore.Claim) null);
        assertThat(store.claim("k", BODY, TTL, 5_000)).isInstanceOf(IdempotencyStore.First.class);
    }

    @Test
    void aWaiterGetsTheFirstResponseAndALateWaiterAtOnce() {
        IdempotencyStore.First first = (IdempotencyStore.First) store.claim("k", BODY, TTL, 5_000);
        IdempotencyStore.InFlight inFlight = (IdempotencyStore.InFlight) store.claim("k", BODY, TTL, 5_000);
        List<IdempotencyStore.Claim> heard = new ArrayList<>();
        inFlight.ticket().whenDone(heard::add);
        StoredResponse stored = response(200);

        first.ticket().complete(stored);
        inFlight.ticket().whenDone(heard::add);

        assertThat(heard).containsExactly(new IdempotencyStore.Replay(stored), new IdempotencyStore.Replay(stored));
    }

    @Test
    void aResponseNotKeptRefusesDuplicatesWithTheReason() {
        IdempotencyStore.First first = (IdempotencyStore.First) store.claim("k", BODY, TTL, 5_000);

        first.ticket().notStored("too large");

        assertThat(store.claim("k", BODY, TTL, 5_000)).isEqualTo(new IdempotencyStore.NotStored("too large"));
    }

    @Test
    void theOldestKeyMakesRoomAndItsTicketThenKeepsNothing() {
        IdempotencyStore.First oldest = (IdempotencyStore.First) store.claim("a", BODY, TTL, 5_000);
        store.claim("b", BODY, TTL, 5_000);
        store.claim("c", BODY, TTL, 5_000);
        store.claim("d", BODY, TTL, 5_000);

        oldest.ticket().complete(response(200));

        assertThat(store.size()).isEqualTo(3);
        assertThat(store.claim("a", BODY, TTL, 5_000)).isInstanceOf(IdempotencyStore.First.class);
    }

    @Test
    void theOldestKeysMakeRoomForMemoryToo() {
        IdempotencyStore small = new IdempotencyStore(100, 1_500, now::get, Optional.empty());
        IdempotencyStore.First first = (IdempotencyStore.First) small.claim("a", BODY, TTL, 5_000);
        small.claim("b", BODY, TTL, 5_000);
        small.claim("c", BODY, TTL, 5_000);

        first.ticket().complete(StoredResponse.of(200, List.of(), new byte[600]));

        assertThat(small.size()).isEqualTo(2);
        assertThat(small.claim("a", BODY, TTL, 5_000)).isInstanceOf(IdempotencyStore.First.class);
    }

    @Test
    void storedHeadersComeBackInOrder() {
        List<Map.Entry<String, String>> headers =
                List.of(Map.entry("content-type", "application/json"), Map.entry("x-refund-id", "r_1"));

        assertThat(StoredResponse.of(200, headers, new byte[0]).headers()).isEqualTo(headers);
    }

    @Test
    void keysAreScopedByCredentialRouteMethodAndPathAndHoldNoSecret() {
        String key = IdempotencyStore.key("Bearer sk-secret", "tools", "POST", "/refund", "abc");

        assertThat(key).hasSize(64).doesNotContain("secret");
        assertThat(IdempotencyStore.key("Bearer sk-other", "tools", "POST", "/refund", "abc"))
                .isNotEqualTo(key);
        assertThat(IdempotencyStore.key("Bearer sk-secret", "tools", "POST", "/charge", "abc"))
                .isNotEqualTo(key);
        assertThat(IdempotencyStore.key(null, "tools", "POST", "/refund", "abc"))
                .isNotEqualTo(key);
    }
}
