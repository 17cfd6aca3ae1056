package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

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
}
