package dev.breakwater.routing;

import static dev.breakwater.routing.RouteTableTest.route;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RouteUpstreamPathTest {

    @Test
    void pathIsForwardedUnchangedWithoutStripPrefixOrBasePath() {
        Route route = route("r", "/v1/", false, "");

        assertThat(route.upstreamPath(route.spec().upstream(), "/v1/chat/completions", null))
                .isEqualTo("/v1/chat/completions");
    }

    @Test
    void basePathIsPrependedWithoutStripPrefix() {
        Route route = route("r", "/v1/", false, "/api");

        assertThat(route.upstreamPath(route.spec().upstream(), "/v1/chat/completions", null))
                .isEqualTo("/api/v1/chat/completions");
    }

    @Test
    void stripPrefixRemovesThePrefix() {
        Route route = route("r", "/openai", true, "");

        assertThat(route.upstreamPath(route.spec().upstream(), "/openai/v1/chat/completions", null))
                .isEqualTo("/v1/chat/completions");
    }

    @Test
    void stripPrefixEndingInSlashKeepsTheRestRootedAtSlash() {
        Route route = route("r", "/openai/", true, "");

        assertThat(route.upstreamPath(route.spec().upstream(), "/openai/v1/models", null))
                .isEqualTo("/v1/models");
    }

    @Test
    void stripPrefixJoinsTheRestToTheBasePathWithExactlyOneSlash() {
        assertThat(route("r", "/openai", true, "/api")
                        .upstreamPath(route("r", "/openai", true, "/api").spec().upstream(), "/openai/v1/models", null))
                .isEqualTo("/api/v1/models");
        assertThat(route("r", "/openai/", true, "/api")
                        .upstreamPath(
                                route("r", "/openai/", true, "/api").spec().upstream(), "/openai/v1/models", null))
                .isEqualTo("/api/v1/models");
    }

    @Test
    void strippingTheWholePathForwardsTheRoot() {
        assertThat(route("r", "/openai", true, "")
                        .upstreamPath(route("r", "/openai", true, "").spec().upstream(), "/openai", null))
                .isEqualTo("/");
        assertThat(route("r", "/openai/", true, "")
                        .upstreamPath(route("r", "/openai/", true, "").spec().upstream(), "/openai/", null))
                .isEqualTo("/");
    }

    @Test
    void pathWithoutTheTrailingSlashOfAStrippedPrefixForwardsTheRoot() {
        Route route = route("policy", "/tools/policy/", true, "");

        assertThat(route.upstreamPath(route.spec().upstream(), "/tools/policy", null))
                .isEqualTo("/");
    }

    @Test
    void strippingTheWholePathForwardsTheBasePathWithASlash() {
        assertThat(route("r", "/openai", true, "/api")
                        .upstreamPath(route("r", "/openai", true, "/api").spec().upstream(), "/openai", null))
                .isEqualTo("/api/");
    }

    @Test
    void queryIsKeptAsSent() {
        assertThat(route("r", "/", false, "")
                        .upstreamPath(route("r", "/", false, "").spec().upstream(), "/search", "q=a%20b&x=1&x=2"))
                .isEqualTo("/search?q=a%20b&x=1&x=2");
        assertThat(route("r", "/openai", true, "/api")
                        .upstreamPath(
                                route("r", "/openai", true, "/api").spec().upstream(), "/openai/v1/models", "limit=5"))
                .isEqualTo("/api/v1/models?limit=5");
    }

    @Test
    void emptyQueryKeepsItsQuestionMark() {
        assertThat(route("r", "/", false, "")
                        .upstreamPath(route("r", "/", false, "").spec().upstream(), "/x", ""))
                .isEqualTo("/x?");
    }

    @Test
    void percentEncodingInThePathIsNotDecoded() {
        assertThat(route("r", "/files/", true, "/v1")
                        .upstreamPath(
                                route("r", "/files/", true, "/v1").spec().upstream(),
                                "/files/a%2Fb%20c/%E2%82%AC",
                                null))
                .isEqualTo("/v1/a%2Fb%20c/%E2%82%AC");
        assertThat(route("r", "/", false, "")
                        .upstreamPath(route("r", "/", false, "").spec().upstream(), "/a%2F..%2Fb", null))
                .isEqualTo("/a%2F..%2Fb");
    }
}
