package dev.ledger.follower;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/** A process may run several followers of one worker (the meter-reader's consumers): one set of gauges shows them all. */
class MeterFollowerGaugesTest {

    @Test
    void givenTwoFollowersOfOneWorkerInOneRegistry_thenLagAndVerifiedEntriesAreTheirSums() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Object first = new Object();
        Object second = new Object();
        FollowerGauges a = FollowerGauges.of(registry, "meter_reader");
        FollowerGauges b = FollowerGauges.of(registry, "meter_reader");
        a.add(first);
        b.add(second);

        a.lag(first, 7);
        b.lag(second, 5);
        a.verified(first, 100);
        b.verified(second, 20);

        assertThat(a).isSameAs(b);
        assertThat(registry.get("meter_reader_consumer_lag").gauge().value()).isEqualTo(12.0);
        assertThat(registry.get("meter_reader_verified_entries").gauge().value()).isEqualTo(120.0);
        assertThat(a.verified(first)).isEqualTo(100);
    }

    @Test
    void givenAFollowerThatStopped_thenItsLagNoLongerCounts() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Object follower = new Object();
        FollowerGauges g = FollowerGauges.of(registry, "invoice_worker");
        g.add(follower);
        g.lag(follower, 9);

        g.remove(follower);

        assertThat(registry.get("invoice_worker_consumer_lag").gauge().value()).isZero();
    }

    @Test
    void givenAnotherWorkersPrefix_thenItsGaugesAreItsOwn() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

        assertThat(FollowerGauges.of(registry, "meter_reader")).isNotSameAs(FollowerGauges.of(registry, "invoice_worker"));
    }
}
