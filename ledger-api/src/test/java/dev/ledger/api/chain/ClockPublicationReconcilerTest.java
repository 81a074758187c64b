package dev.ledger.api.chain;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ledger.api.LedgerClient;
import dev.ledger.api.MovableClock;
import dev.ledger.api.PublicationFixtures;
import dev.ledger.api.RunningLedger;
import dev.ledger.api.SharedInfrastructure;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.audit.AdminActionRecorded;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.chain.Sha256;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import org.axonframework.common.DateTimeUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * ISSUE11 item 9: a reconciler compares each chain's head with what was published and alerts (gauges and a WARN naming
 * the tenant) when committed entries stay unpublished. The skipped entry is made here as the defect made it: committed
 * at a global index the publisher has already passed. Time passes on the ledger's clock, moved by the test, never by
 * sleeping: each look of the reconciler is one {@link PublicationReconciler#reconcile()} (its own schedule is an hour).
 */
class ClockPublicationReconcilerTest {

    private static final Duration ALERT_AFTER = Duration.ofHours(1);
    private static final MovableClock clock = new MovableClock();
    private static RunningLedger ledger;
    private static LedgerClient admin;
    private static PublicationReconciler reconciler;

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.publication.reconcile-interval", "1h",
                "ledger.publication.alert-after", ALERT_AFTER.toString(), "ledger.entries-topic", "publication-reconciler-" + System.nanoTime()),
                clock);
        reconciler = ledger.context().getBean(PublicationReconciler.class);
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    @Test
    void givenACommittedEntryThePublisherSkipped_whenTheDifferencePersists_thenTheReconcilerAlertsNamingTheTenant() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger("dev.ledger.api.chain.PublicationReconciler");
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try {
            String tenant = "pr" + Long.toString(System.nanoTime() % 1_000_000, 36);
            assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", tenant)).status()).isEqualTo(201);
            LedgerClient t = admin.withKey(admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write")))
                    .body().get("key").asText());
            long head = t.post("/v1/evaluations", LedgerClient.evaluation("ev_1"), "k1").body().get("sequence").asLong();
            awaitPublished(tenant, head);
            reconciler.reconcile();
            clock.advance(ALERT_AFTER.multipliedBy(2));
            reconciler.reconcile();
            assertThat(PublicationFixtures.metric(ledger, "ledger_publication_unpublished_tenants"))
                    .as("a chain that is published is never alerted").isZero();

            commitBehindThePublisher(tenant, head + 1);
            reconciler.reconcile();
            assertThat(logs.list).as("entries seen unpublished once are not alerted yet")
                    .noneSatisfy(e -> assertThat(e.getFormattedMessage()).contains(tenant));
            clock.advance(ALERT_AFTER);
            reconciler.reconcile();

            double tenants = PublicationFixtures.metric(ledger, "ledger_publication_unpublished_tenants");
            assertThat(tenants).isGreaterThanOrEqualTo(1);
            assertThat(PublicationFixtures.metric(ledger, "ledger_publication_behind_entries")).isGreaterThanOrEqualTo(1);
            assertThat(logs.list).anySatisfy(e -> {
                assertThat(e.getLevel().toString()).isEqualTo("WARN");
                assertThat(e.getFormattedMessage()).contains(tenant).contains(String.valueOf(head + 1));
            });
        } finally {
            logger.detachAppender(logs);
        }
    }

    /** Waits (at most 20 s) until the publisher has dealt with the tenant's entries up to {@code sequence}. */
    private static void awaitPublished(String tenant, long sequence) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl());
             PreparedStatement ps = c.prepareStatement("select sequence from publication_head where tenant_id = ?")) {
            ps.setString(1, tenant);
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getLong(1) >= sequence) {
                        return;
                    }
                }
                assertThat(System.nanoTime()).as("entry %d of %s published within 20 s", sequence, tenant).isLessThan(deadline);
                LockSupport.parkNanos(100_000_000L);
            }
        }
    }

    /** Commits the tenant's next entry (a valid link) at a global index below every index the publisher will read. */
    private static void commitBehindThePublisher(String tenant, long sequence) throws Exception {
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl())) {
            byte[] prev;
            try (PreparedStatement ps = c.prepareStatement("select entry_hash from domain_event_entry where aggregate_identifier = ?"
                    + " and sequence_number = ?")) {
                ps.setString(1, tenant);
                ps.setLong(2, sequence - 2);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    prev = rs.getBytes(1);
                }
            }
            String eventId = UUID.randomUUID().toString();
            String type = EntryTypes.nameOf(AdminActionRecorded.class);
            String recordedAt = DateTimeUtils.formatInstant(clock.instant());
            byte[] payload = LedgerJson.mapper().writeValueAsBytes(new AdminActionRecorded(tenant, "ops", "skipped", "entry", Map.of()));
            byte[] metadata = "{\"actor\":\"admin\"}".getBytes(StandardCharsets.UTF_8);
            byte[] hash = EntryFraming.hash(tenant, sequence, eventId, type, "1", recordedAt, Sha256.of(payload),
                    Sha256.of(metadata), prev);
            try (PreparedStatement ps = c.prepareStatement("insert into domain_event_entry (global_index, event_identifier,"
                    + " aggregate_identifier, sequence_number, type, time_stamp, payload_type, payload_revision, payload, meta_data,"
                    + " prev_hash, entry_hash) values (?, ?, ?, ?, 'TenantLedger', ?, ?, '1', ?, ?, ?, ?)")) {
                ps.setLong(1, -1 - System.nanoTime() % 1_000_000_000L);
                ps.setString(2, eventId);
                ps.setString(3, tenant);
                ps.setLong(4, sequence - 1);
                ps.setString(5, recordedAt);
                ps.setString(6, type);
                ps.setBytes(7, payload);
                ps.setBytes(8, metadata);
                ps.setBytes(9, prev);
                ps.setBytes(10, hash);
                ps.executeUpdate();
            }
        }
    }
}
