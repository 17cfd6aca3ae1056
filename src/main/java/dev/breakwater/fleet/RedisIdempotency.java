package dev.breakwater.fleet;

import dev.breakwater.resilience.IdempotencyStore;
import dev.breakwater.resilience.SharedKeys;
import dev.breakwater.resilience.StoredResponse;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * A fleet's {@code Idempotency-Key} records on its Redis, one hash per key ({@code PREFIX:i:KEY}) changed only by
 * {@code idempotency.lua}, so a claim and the answer to it are one atomic step. An unfinished claim expires on its
 * own (an instance that died frees its keys); a finished one after its time to live.
 */
final class RedisIdempotency implements SharedKeys {
    private static final HexFormat HEX = HexFormat.of();

    private final RedisFleet fleet;
    private final String script;
    private final String sha;

    RedisIdempotency(RedisFleet fleet) {
        this.fleet = fleet;
        this.script = RedisFleet.resource("idempotency.lua");
        this.sha = RedisFleet.sha1(script);
    }

    @Override
    public void claim(
            String key,
            byte[] bodyHash,
            String owner,
            long inFlightMillis,
            BiConsumer<IdempotencyStore.Claim, Throwable> done) {
        fleet.eval(sha, script, args(key, "claim", owner, HEX.formatHex(bodyHash), Long.toString(inFlightMillis)))
                .onComplete(ar -> {
                    if (ar.failed()) {
                        done.accept(null, ar.cause());
                        return;
                    }
                    done.accept(claimOf(ar.result()), null);
                });
    }

    private static IdempotencyStore.Claim claimOf(Response r) {
        return switch (r.get(0).toString()) {
            case "first" -> new IdempotencyStore.First(null);
            case "mismatch" -> new IdempotencyStore.Mismatch();
            case "replay" ->
                new IdempotencyStore.Replay(new StoredResponse(
                        r.get(1).toInteger(), r.get(2).toBytes(), r.get(3).toBytes()));
            case "notstored" -> new IdempotencyStore.NotStored(r.get(1).toString());
            default -> new IdempotencyStore.InFlight(Math.max(1, (r.get(1).toLong() + 999) / 1000), null);
        };
    }

    @Override
    public void complete(String key, String owner, StoredResponse response, long ttlMillis) {
        List<Object> args = args(key, "complete", owner, Long.toString(ttlMillis), Integer.toString(response.status()));
        args.add(Buffer.buffer(response.head()));
        args.add(Buffer.buffer(response.body()));
        fleet.eval(sha, script, args).onFailure(t -> {});
    }

    @Override
    public void notStored(String key, String owner, String reason, long ttlMillis) {
        fleet.eval(sha, script, args(key, "notstored", owner, Long.toString(ttlMillis), reason))
                .onFailure(t -> {});
    }

    @Override
    public void release(String key, String owner) {
        fleet.eval(sha, script, args(key, "release", owner)).onFailure(t -> {});
    }

    private List<Object> args(String key, String mode, String owner, String... more) {
        List<Object> args = new ArrayList<>(4 + more.length);
        args.add(fleet.keyPrefix() + ":i:" + key);
        args.add(mode);
        args.add(owner);
        args.addAll(List.of(more));
        return args;
    }
}
