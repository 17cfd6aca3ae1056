package dev.breakwater.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class UpstreamClientsTest {
    private final Vertx vertx = Vertx.vertx();
    private final UpstreamClients clients = new UpstreamClients(vertx, connection -> {});

    @AfterEach
    void close() {
        clients.close();
        vertx.close().await();
    }

    @Test
    void eachUpstreamOfEachRouteHasAPoolOfItsOwnThatOutlivesNoReload() {
        Route a = RouteTableTest.route("a", "/a");
        Route b = RouteTableTest.route("b", "/b");
        HttpClient forA = clients.clientFor(a.spec(), a.spec().targets().get(0));
        HttpClient forB = clients.clientFor(b.spec(), b.spec().targets().get(0));

        assertThat(forA)
                .isNotSameAs(forB)
                .isSameAs(clients.clientFor(a.spec(), a.spec().targets().get(0)));
        assertThat(clients.retainOnly(new RouteTable(List.of(a, b)), Duration.ofSeconds(1)))
                .isZero();
        assertThat(clients.retainOnly(new RouteTable(List.of(a)), Duration.ofSeconds(1)))
                .isEqualTo(1);
        assertThat(clients.clientFor(a.spec(), a.spec().targets().get(0))).isSameAs(forA);
        assertThat(clients.clientFor(b.spec(), b.spec().targets().get(0))).isNotSameAs(forB);
    }
}
