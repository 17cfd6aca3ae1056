package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RequestTargetTest {

    @Test
    void originFormWithoutQueryHasNoQuery() {
        assertThat(RequestTarget.parse("/v1/chat/completions"))
                .isEqualTo(new RequestTarget("/v1/chat/completions", null));
    }

    @Test
    void originFormWithQuerySplitsPathAndQuery() {
        assertThat(RequestTarget.parse("/v1/models?limit=5&after=a%20b"))
                .isEqualTo(new RequestTarget("/v1/models", "limit=5&after=a%20b"));
    }

    @Test
    void emptyQueryIsKeptAsEmptyNotNull() {
        assertThat(RequestTarget.parse("/x?")).isEqualTo(new RequestTarget("/x", ""));
    }

    @Test
    void onlyTheFirstQuestionMarkStartsTheQuery() {
        assertThat(RequestTarget.parse("/x?a=1?b=2")).isEqualTo(new RequestTarget("/x", "a=1?b=2"));
    }

    @Test
    void percentEncodingIsKept() {
        assertThat(RequestTarget.parse("/files/a%2Fb%3Fc?q=%26"))
                .isEqualTo(new RequestTarget("/files/a%2Fb%3Fc", "q=%26"));
    }

    @Test
    void absoluteFormKeepsOnlyPathAndQuery() {
        assertThat(RequestTarget.parse("http://other-host:9/x/y?q=1")).isEqualTo(new RequestTarget("/x/y", "q=1"));
    }

    @Test
    void absoluteFormWithUserInfoAndHttpsKeepsOnlyPath() {
        assertThat(RequestTarget.parse("https://user:pw@evil.example:443/admin"))
                .isEqualTo(new RequestTarget("/admin", null));
    }

    @Test
    void absoluteFormWithoutPathTargetsTheRoot() {
        assertThat(RequestTarget.parse("http://h")).isEqualTo(new RequestTarget("/", null));
    }

    @Test
    void absoluteFormWithQueryButNoPathTargetsTheRootWithTheQuery() {
        assertThat(RequestTarget.parse("http://h?x=1")).isEqualTo(new RequestTarget("/", "x=1"));
    }

    @Test
    void fragmentIsDroppedFromOriginForm() {
        assertThat(RequestTarget.parse("/x#frag")).isEqualTo(new RequestTarget("/x", null));
        assertThat(RequestTarget.parse("/x?q=1#frag")).isEqualTo(new RequestTarget("/x", "q=1"));
    }

    @Test
    void fragmentIsDroppedFromAbsoluteForm() {
        assertThat(RequestTarget.parse("http://h/x?q=1#frag")).isEqualTo(new RequestTarget("/x", "q=1"));
    }

    @Test
    void fragmentDirectlyAfterTheAuthorityIsNotTakenAsThePath() {
        assertThat(RequestTarget.parse("http://h#frag")).isEqualTo(new RequestTarget("/", null));
        assertThat(RequestTarget.parse("http://h#/admin?x=1")).isEqualTo(new RequestTarget("/", null));
    }

    @Test
    void pathLookingLikeAUrlStaysAPath() {
        assertThat(RequestTarget.parse("/proxy/http://h/x")).isEqualTo(new RequestTarget("/proxy/http://h/x", null));
    }

    @Test
    void targetWithoutLeadingSlashIsRootedAtSlash() {
        assertThat(RequestTarget.parse("x/y")).isEqualTo(new RequestTarget("/x/y", null));
    }

    @Test
    void dotSegmentsAreRemovedBeforeRouting() {
        assertThat(RequestTarget.parse("/t/a/./b/../c").path()).isEqualTo("/t/a/c");
        assertThat(RequestTarget.parse("/t/../admin").path()).isEqualTo("/admin");
        assertThat(RequestTarget.parse("/v1/../admin/secret?x=1")).isEqualTo(new RequestTarget("/admin/secret", "x=1"));
        assertThat(RequestTarget.parse("/t/a/..").path()).isEqualTo("/t/");
        assertThat(RequestTarget.parse("/t/a/.").path()).isEqualTo("/t/a/");
        assertThat(RequestTarget.parse("/t/./../admin").path()).isEqualTo("/admin");
    }

    @Test
    void encodedDotsCountAsDots() {
        assertThat(RequestTarget.parse("/t/%2e%2e/admin").path()).isEqualTo("/admin");
        assertThat(RequestTarget.parse("/t/%2E%2E/admin").path()).isEqualTo("/admin");
        assertThat(RequestTarget.parse("/t/.%2e/admin").path()).isEqualTo("/admin");
        assertThat(RequestTarget.parse("/t/%2e/x").path()).isEqualTo("/t/x");
    }

    @Test
    void dotSegmentsHiddenBehindEncodedSeparatorsOrParametersAreRefused() {
        for (String path : new String[] {
            "/t/..%2fadmin",
            "/t/..%2Fadmin",
            "/t/%2e%2e%2fadmin",
            "/t/..\\admin",
            "/t/..%5cadmin",
            "/t/..%5Cadmin",
            "/t/..;/admin",
            "/t/.;x/y",
            "/t/a%2f..%2fb"
        }) {
            assertThatThrownBy(() -> RequestTarget.parse(path))
                    .as(path)
                    .isInstanceOf(RequestTarget.InvalidTargetException.class);
        }
    }

    @Test
    void climbingAboveTheRootIsRefused() {
        assertThatThrownBy(() -> RequestTarget.parse("/..")).isInstanceOf(RequestTarget.InvalidTargetException.class);
        assertThatThrownBy(() -> RequestTarget.parse("/t/../../x"))
                .isInstanceOf(RequestTarget.InvalidTargetException.class);
    }

    @Test
    void encodedNulIsRefused() {
        assertThatThrownBy(() -> RequestTarget.parse("/t/a%00b"))
                .isInstanceOf(RequestTarget.InvalidTargetException.class);
    }

    @Test
    void ordinaryDotsAndEncodingsPassUnchanged() {
        assertThat(RequestTarget.parse("/v1/files/report.v2.json").path()).isEqualTo("/v1/files/report.v2.json");
        assertThat(RequestTarget.parse("/files/a%2Fb").path()).isEqualTo("/files/a%2Fb");
        assertThat(RequestTarget.parse("/x/...").path()).isEqualTo("/x/...");
        assertThat(RequestTarget.parse("/x/a;v=1").path()).isEqualTo("/x/a;v=1");
        assertThat(RequestTarget.parse("/x//y").path()).isEqualTo("/x//y");
    }
}
