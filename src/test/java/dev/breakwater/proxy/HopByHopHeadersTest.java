package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HopByHopHeadersTest {
    private static final HeaderNames NONE = HeaderNames.NONE;

    private static MultiMap headers(String... namesAndValues) {
        MultiMap map = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            map.add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return map;
    }

    private static MultiMap copy(MultiMap from, HeaderNames alsoSkip) {
        MultiMap to = MultiMap.caseInsensitiveMultiMap();
        HopByHopHeaders.copy(from, to, alsoSkip);
        return to;
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "connection",
                "keep-alive",
                "proxy-connection",
                "te",
                "trailer",
                "transfer-encoding",
                "upgrade",
                "proxy-authorization",
                "proxy-authenticate",
                "http2-settings"
            })
    void fixedHopByHopHeaderIsRemoved(String name) {
        MultiMap copied = copy(headers(name, "x", "Accept", "application/json"), NONE);

        assertThat(copied.contains(name)).isFalse();
        assertThat(copied.get("accept")).isEqualTo("application/json");
    }

    @Test
    void fixedHopByHopHeadersAreRemovedWhateverTheirCase() {
        MultiMap copied = copy(
                headers(
                        "Transfer-Encoding",
                        "chunked",
                        "KEEP-ALIVE",
                        "timeout=5",
                        "Proxy-Authorization",
                        "Basic abc",
                        "Upgrade",
                        "h2c",
                        "TE",
                        "trailers"),
                NONE);

        assertThat(copied.isEmpty()).isTrue();
    }

    @Test
    void headerNamedInConnectionIsRemoved() {
        MultiMap copied = copy(headers("Connection", "X-Hop", "X-Hop", "1", "X-End", "2"), NONE);

        assertThat(copied.names()).containsExactly("X-End");
    }

    @Test
    void everyHeaderOfACommaSeparatedConnectionListIsRemoved() {
        MultiMap copied = copy(
                headers("Connection", "close, X-One ,x-two,,  ", "X-One", "1", "X-Two", "2", "X-Three", "3"), NONE);

        assertThat(copied.names()).containsExactly("X-Three");
    }

    @Test
    void headersNamedInSeveralConnectionHeadersAreAllRemoved() {
        MultiMap copied = copy(
                headers("Connection", "X-One", "connection", "X-Two", "X-One", "1", "X-Two", "2", "X-Three", "3"),
                NONE);

        assertThat(copied.names()).containsExactly("X-Three");
    }

    @Test
    void connectionNominationIsCaseInsensitive() {
        MultiMap copied = copy(headers("CONNECTION", "x-custom-HOP", "X-Custom-Hop", "1", "x-end", "2"), NONE);

        assertThat(copied.names()).containsExactly("x-end");
    }

    @Test
    void alsoSkipRemovesNamedHeadersCaseInsensitively() {
        HeaderNames alsoSkip = HeaderNames.of("host", "X-Forwarded-For");

        MultiMap copied = copy(
                headers("Host", "client.example", "x-forwarded-for", "10.0.0.1", "Authorization", "Bearer t"),
                alsoSkip);

        assertThat(copied.names()).containsExactly("Authorization");
    }

    @Test
    void caseInsensitiveSetHoldsLowerCaseNamesThatCopyMatchesInAnyCase() {
        HeaderNames set = HeaderNames.of("Content-Length");

        assertThat(set.contains("content-length")).isTrue();
        assertThat(set.contains("Content-LENGTH")).isTrue();
        assertThat(copy(headers("CONTENT-LENGTH", "3", "X-Kept", "1"), set).names())
                .containsExactly("X-Kept");
        assertThat(set.contains("content-type")).isFalse();
        assertThat(set.contains("content-lengtx")).isFalse();
    }

    @Test
    void endToEndHeadersAreKeptWithTheirValuesAndOrder() {
        MultiMap copied = copy(
                headers(
                        "Content-Type",
                        "application/json",
                        "Authorization",
                        "Bearer t",
                        "X-Request-Id",
                        "abc",
                        "Connection",
                        "keep-alive"),
                NONE);

        assertThat(copied.names()).containsExactlyInAnyOrder("Content-Type", "Authorization", "X-Request-Id");
        assertThat(copied.get("content-type")).isEqualTo("application/json");
        assertThat(copied.get("authorization")).isEqualTo("Bearer t");
    }

    @Test
    void repeatedValuesOfAnEndToEndHeaderAreAllKept() {
        MultiMap copied =
                copy(headers("Set-Cookie", "a=1", "Set-Cookie", "b=2", "Vary", "Accept", "vary", "Origin"), NONE);

        assertThat(copied.getAll("set-cookie")).containsExactly("a=1", "b=2");
        assertThat(copied.getAll("vary")).containsExactly("Accept", "Origin");
    }

    @Test
    void copyAddsToExistingHeadersOfTheTarget() {
        MultiMap to = headers("Via", "1.1 breakwater");

        HopByHopHeaders.copy(headers("Via", "1.1 upstream"), to, NONE);

        assertThat(to.getAll("via")).containsExactly("1.1 breakwater", "1.1 upstream");
    }

    @Test
    void copyLeavesTheSourceUntouched() {
        MultiMap from = headers("Connection", "X-Hop", "X-Hop", "1", "Accept", "*/*");

        copy(from, NONE);

        assertThat(from.size()).isEqualTo(3);
    }
}
