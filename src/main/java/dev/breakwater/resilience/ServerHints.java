package dev.breakwater.resilience;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads how long an upstream asked clients to wait, in this order: {@code retry-after-ms} (milliseconds),
 * {@code Retry-After} (delta-seconds or an HTTP-date, measured against an injected clock). Provider-specific
 * headers (OpenAI's {@code x-ratelimit-reset-*}, Anthropic's {@code anthropic-ratelimit-*-reset}) are read by the
 * provider's {@link ProviderRules#hint}, which measures timestamps with {@link #untilTimestamp} on the same clock.
 *
 * <p>Garbage, negative and past values are ignored, never fatal: the next source is tried.
 */
public final class ServerHints {
    /** Larger hints are clamped here, far above any sane cap, so arithmetic never overflows. */
    static final long HUGE_MILLIS = Long.MAX_VALUE / 4;

    private static final List<DateTimeFormatter> HTTP_DATES = List.of(
            DateTimeFormatter.RFC_1123_DATE_TIME,
            DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss zzz", Locale.US),
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US));

    private final Clock clock;

    public ServerHints(Clock clock) {
        this.clock = clock;
    }

    /** The first usable standard hint of {@code head}: {@code retry-after-ms}, then {@code Retry-After}. */
    public Optional<ServerHint> read(ResponseHead head) {
        OptionalLong ms = retryAfterMs(head.header("retry-after-ms"));
        if (ms.isPresent()) {
            return Optional.of(new ServerHint(ms.getAsLong(), WaitSource.RETRY_AFTER_MS));
        }
        OptionalLong retryAfter = retryAfter(head.header("retry-after"));
        if (retryAfter.isPresent()) {
            return Optional.of(new ServerHint(retryAfter.getAsLong(), WaitSource.RETRY_AFTER));
        }
        return Optional.empty();
    }

    static OptionalLong retryAfterMs(String value) {
        if (value == null) {
            return OptionalLong.empty();
        }
        try {
            double ms = Double.parseDouble(value.trim());
            if (!Double.isFinite(ms) || ms < 0) {
                return OptionalLong.empty();
            }
            return OptionalLong.of((long) Math.min(HUGE_MILLIS, Math.ceil(ms)));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    OptionalLong retryAfter(String value) {
        if (value == null || value.isBlank()) {
            return OptionalLong.empty();
        }
        String v = value.trim();
        if (v.chars().allMatch(c -> c >= '0' && c <= '9' || c == '.')) {
            try {
                // Exact decimal arithmetic: in doubles 2.007 s is 2007.0000000000002 ms, which would round up.
                BigDecimal millis = new BigDecimal(v).movePointRight(3).setScale(0, RoundingMode.CEILING);
                return OptionalLong.of(
                        millis.compareTo(BigDecimal.valueOf(HUGE_MILLIS)) > 0 ? HUGE_MILLIS : millis.longValueExact());
            } catch (NumberFormatException e) {
                return OptionalLong.empty();
            }
        }
        return httpDate(v, clock)
                .flatMap(date -> {
                    long millis = date.toEpochMilli() - clock.millis();
                    return millis > 0 ? Optional.of(millis) : Optional.empty();
                })
                .map(OptionalLong::of)
                .orElse(OptionalLong.empty());
    }

    /**
     * Milliseconds from now until an RFC 3339 timestamp ({@code 2025-01-01T00:00:30Z}, any offset, fractions of a
     * second rounded up), measured against this reader's clock; empty for garbage and for a time not in the
     * future.
     */
    /** Milliseconds from now until {@code epochMillis} on this reader's clock; empty when it is not ahead. */
    public OptionalLong untilEpochMillis(long epochMillis) {
        long left = epochMillis - clock.millis();
        return left > 0 ? OptionalLong.of(Math.min(left, HUGE_MILLIS)) : OptionalLong.empty();
    }

    public OptionalLong untilTimestamp(String value) {
        if (value == null || value.isBlank()) {
            return OptionalLong.empty();
        }
        // RFC 3339 allows a lower-case t and z, and a space for the T.
        String v = value.trim().toUpperCase(Locale.ROOT).replace(' ', 'T');
        try {
            Instant at = OffsetDateTime.parse(v, DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                    .toInstant();
            Duration left = Duration.between(clock.instant(), at);
            if (left.isNegative() || left.isZero()) {
                return OptionalLong.empty();
            }
            if (left.getSeconds() >= HUGE_MILLIS / 1000) {
                return OptionalLong.of(HUGE_MILLIS);
            }
            return OptionalLong.of(left.toMillis() + (left.getNano() % 1_000_000 == 0 ? 0 : 1));
        } catch (DateTimeParseException e) {
            return OptionalLong.empty();
        }
    }

    private static Optional<Instant> httpDate(String value, Clock clock) {
        for (DateTimeFormatter format : HTTP_DATES) {
            try {
                if (format == HTTP_DATES.get(2)) {
                    return Optional.of(LocalDateTime.parse(value, format).toInstant(ZoneOffset.UTC));
                }
                ZonedDateTime parsed = ZonedDateTime.parse(value, format);
                if (format == HTTP_DATES.get(1)
                        && parsed.getYear() > ZonedDateTime.now(clock).getYear() + 50) {
                    // RFC 9110: an rfc850-date's two-digit year more than 50 years in the future is in the past
                    // century. Four-digit years mean what they say.
                    parsed = parsed.minusYears(100);
                }
                return Optional.of(parsed.toInstant());
            } catch (DateTimeParseException e) {
                // try the next format
            }
        }
        return Optional.empty();
    }
}
