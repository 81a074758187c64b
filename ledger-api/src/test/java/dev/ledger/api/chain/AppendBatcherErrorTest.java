package dev.ledger.api.chain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.tenant.TenantCommand;
import dev.ledger.core.tenant.AppendEntries;
import dev.ledger.core.tenant.AppendOutcome;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.junit.jupiter.api.Test;

/**
 * The append batcher's lanes survive whatever the append throws: a tenant whose append once failed with an
 * {@link Error} (or whose answer could not be built) still gets receipts for its later requests.
 */
class AppendBatcherErrorTest {

    private final AtomicInteger sequence = new AtomicInteger();

    /** A command bus stand-in: each AppendEntries is answered by {@code behaviour}, in the order sent. */
    private AppendBatcher batcher(Function<AppendEntries, Object> behaviour) {
        return batcher(behaviour, null);
    }

    private AppendBatcher batcher(Function<AppendEntries, Object> behaviour, org.springframework.jdbc.core.JdbcTemplate jdbc) {
        CommandGateway gateway = (CommandGateway) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {CommandGateway.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("sendAndWait") && args != null && args[0] instanceof AppendEntries command) {
                        return behaviour.apply(command);
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        return new AppendBatcher(gateway, new SimpleMeterRegistry(), jdbc);
    }

    private AppendResult appended(AppendEntries command) {
        List<AppendOutcome> outcomes = new ArrayList<>();
        for (int i = 0; i < command.entries().size(); i++) {
            outcomes.add(AppendOutcome.appended(sequence.incrementAndGet()));
        }
        return new AppendResult(outcomes);
    }

    private static CompletableFuture<AppendBatcher.Appended> submit(AppendBatcher batcher, String id) {
        return batcher.submit("acme", new TenantCommand.RecordAdminAction("ops", "act", id, Map.of()), Map.of(), List.of());
    }

    @Test
    void givenAnAppendThatThrowsAnError_whenTheTenantWritesAgain_thenTheFailedRequestIsAnsweredAndTheNextGetsAReceipt() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        AppendBatcher batcher = batcher(command -> {
            if (calls.incrementAndGet() == 1) {
                throw new StackOverflowError("deep");
            }
            return appended(command);
        });
        CompletableFuture<AppendBatcher.Appended> first = submit(batcher, "first");
        ExecutionException failed = org.assertj.core.api.Assertions.catchThrowableOfType(ExecutionException.class,
                () -> first.get(5, TimeUnit.SECONDS));
        assertThat(failed).as("the request whose append threw an Error is answered").isNotNull();
        assertThat(failed.getCause()).isInstanceOf(StackOverflowError.class);

        AppendBatcher.Appended next = submit(batcher, "next").get(5, TimeUnit.SECONDS);
        assertThat(next.outcome().isAppended()).isTrue();
    }

    @Test
    void givenABatchThatCommittedButCannotBeAnswered_whenItFails_thenItIsNeverSentAgainAndTheLaneLives() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger entriesSent = new AtomicInteger();
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch queued = new java.util.concurrent.CountDownLatch(1);
        AppendBatcher batcher = batcher(command -> {
            entriesSent.addAndGet(command.entries().size());
            int call = calls.incrementAndGet();
            if (call == 1) {
                started.countDown();
                try {
                    queued.await(5, TimeUnit.SECONDS); // the next two items queue up behind this append: one batch of two
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (call == 2) {
                return new AppendResult(List.of()); // committed, but its outcomes cannot be matched to the items
            }
            return appended(command);
        });
        CompletableFuture<AppendBatcher.Appended> holder = submit(batcher, "holder");
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<AppendBatcher.Appended> b = submit(batcher, "b");
        CompletableFuture<AppendBatcher.Appended> c = submit(batcher, "c");
        queued.countDown();
        assertThat(holder.get(5, TimeUnit.SECONDS).outcome().isAppended()).isTrue();
        assertThat(b).failsWithin(5, TimeUnit.SECONDS);
        assertThat(c).failsWithin(5, TimeUnit.SECONDS);
        assertThat(entriesSent.get()).as("the committed batch of two is never sent again, item by item").isEqualTo(3);
        assertThat(submit(batcher, "next").get(5, TimeUnit.SECONDS).outcome().isAppended()).isTrue();
    }

    @Test
    void givenAKeyLookupThatThrowsAnError_whenTheTenantWritesAgain_thenTheFailedRequestIsAnsweredAndTheNextGetsAReceipt() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        org.springframework.jdbc.core.JdbcTemplate jdbc = new org.springframework.jdbc.core.JdbcTemplate() {
            @Override
            public <T> List<T> query(org.springframework.jdbc.core.PreparedStatementCreator psc, org.springframework.jdbc.core.RowMapper<T> rowMapper) {
                if (lookups.incrementAndGet() == 1) {
                    throw new StackOverflowError("deep");
                }
                return List.of();
            }
        };
        AppendBatcher batcher = batcher(this::appended, jdbc);
        CompletableFuture<AppendBatcher.Appended> first = batcher.submit("acme",
                new TenantCommand.RecordAdminAction("ops", "act", "first", Map.of()), Map.of(), List.of("k:first"));
        assertThat(first).failsWithin(5, TimeUnit.SECONDS);
        AppendBatcher.Appended next = batcher.submit("acme", new TenantCommand.RecordAdminAction("ops", "act", "next", Map.of()), Map.of(),
                List.of("k:next")).get(5, TimeUnit.SECONDS);
        assertThat(next.outcome().isAppended()).isTrue();
    }
}
