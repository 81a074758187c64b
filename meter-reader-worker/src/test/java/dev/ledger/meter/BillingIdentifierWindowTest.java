package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.StoredEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 13: Stripe dedupes a meter event identifier for about 24 h only. A window whose event Stripe
 * accepted but whose answer was lost, retried after an outage of more than 24 h, must not be billed twice: the worker
 * records its sends and reconciles an old one against Stripe's meter event summaries instead of sending blindly.
 * Both clocks (the emulator's, the worker's) are moved, nothing sleeps for a day.
 */
class BillingIdentifierWindowTest extends BillingWorldTest {

    @Test
    void givenEventsStripeAcceptedWhoseAnswersWereLost_whenTheWorkerRetriesAfter25Hours_thenNothingIsBilledTwice()
            throws Exception {
        Usage usage = usage(6, 1, 1_500L);
        String cus = usage.customer();
        List<StoredEntry> entries = usage.entries();
        long expected = usage.units();
        long windows = entries.stream().skip(1).map(e -> Math.floorDiv(java.time.Instant.parse(e.recordedAt())
                .getEpochSecond(), BillingWorld.WINDOW_SECONDS)).distinct().count();

        world.stripe.loseAnswers(true); // Stripe records each event, the worker never hears so: an outage begins
        world.start(Map.of());
        world.send(entries);
        BillingWorld.await(() -> world.stripe.meterEventsAccepted() == windows, "Stripe to accept every window");
        BillingWorld.await(() -> world.stripe.meterEventCalls() > 2 * windows, "the worker to retry in vain");
        assertThat(world.queryLong("select count(*) from meter_reader_window where status = 'CLOSED' "
                + "and first_sent_at is not null and sent_at is not null")).isEqualTo(windows);
        assertThat(world.ledger.usageReports()).isEmpty();

        // 25 h later: Stripe has forgotten the identifiers, and the outage ends. Both clocks move at once, as they do
        // in production, on the reporter's thread between two of its calls: moved from here, a send decided at the
        // old time could reach Stripe at the new one, which no longer dedupes, and bill that window twice (seen twice
        // on clean clones, once with the worker's clock moved second, once with it first)
        world.clock.moveOnReporterThread(() -> true, () -> endOutage(Duration.ofHours(25)));

        world.awaitWrittenBack((int) windows);
        assertThat(world.stripe.meterEventTotal(cus, "tokens")).as("billed once").isEqualTo(expected);
        assertThat(world.stripe.meterEventsAccepted()).as("no event sent again").isEqualTo(windows);
        assertThat(world.ledger.usageReports()).hasSize((int) windows);
    }

    /**
     * The worker decides every window of a pass before its first call. A pass that sends after an identifier window
     * ran out (here: both clocks move 25 h after the pass's first call) must not send the rest blindly.
     */
    @Test
    void givenAPassThatDecidedToSendBeforeStripeForgotTheIdentifiers_whenItSendsAfter_thenNothingIsBilledTwice()
            throws Exception {
        Usage usage = fourWindowsStripeTookWhoseAnswersWereLost(Map.of());

        int callsBefore = world.stripe.meterEventCalls();
        world.start(Map.of());
        world.clock.moveOnReporterThread(() -> world.stripe.meterEventCalls() > callsBefore,
                () -> endOutage(Duration.ofHours(25)));

        assertEachWindowBilledOnce(usage);
    }

    /**
     * The same on the v2 stream, where a pass decides every window and then sends them all in one call: both clocks
     * move after the last decision, before that call, so the decisions are 25 h old when it would go out.
     */
    @Test
    void givenAV2PassThatDecidedToSendBeforeStripeForgotTheIdentifiers_whenItStreamsAfter_thenNothingIsBilledTwice()
            throws Exception {
        Map<String, String> v2 = Map.of("METER_EVENTS_MODE", "v2");
        Usage usage = fourWindowsStripeTookWhoseAnswersWereLost(v2);
        assertThat(world.stripe.meterEventCalls()).as("sent on the stream only").isZero();

        // a decision to send records the send on the window's row (an update, even when it changes no value), so a
        // row whose version (xmin) is no longer the one it has now is a window the next pass has decided on
        String versions = world.queryString("select string_agg(distinct xmin::text, ',') from meter_reader_window");
        world.start(v2);
        world.clock.moveOnReporterThread(() -> world.queryLong("select count(*) from meter_reader_window "
                + "where not xmin::text = any(string_to_array('" + versions + "', ','))") == 4,
                () -> endOutage(Duration.ofHours(25)));

        assertEachWindowBilledOnce(usage);
    }

    /**
     * Four windows of tenant A that Stripe recorded while every answer was lost, the worker stopped, and all four due
     * again at once with their identifier windows recent: the next pass decides to send each again.
     */
    private Usage fourWindowsStripeTookWhoseAnswersWereLost(Map<String, String> mode) throws Exception {
        Usage usage = usage(4, 10, 2_000L);
        world.stripe.loseAnswers(true);
        MeterReader first = world.start(mode);
        world.send(usage.entries());
        BillingWorld.await(() -> world.stripe.meterEventsAccepted() == 4, "Stripe to accept every window");
        world.stop(first);
        world.queryString("update meter_reader_window set next_attempt_at = null where status = 'CLOSED' "
                + "and sent_at is not null returning 1");
        assertThat(world.queryLong("select count(*) from meter_reader_window where status = 'CLOSED' "
                + "and sent_at is not null")).isEqualTo(4);
        return usage;
    }

    private void assertEachWindowBilledOnce(Usage usage) throws InterruptedException {
        world.awaitWrittenBack(4);
        assertThat(world.stripe.meterEventsAccepted()).as("no event sent again").isEqualTo(4);
        assertThat(world.stripe.meterEventTotal(usage.customer(), "tokens")).as("billed once")
                .isEqualTo(usage.units());
    }

    /** Tenant A's chain: its registration, then {@code n} usage entries of growing units, {@code apart} s apart. */
    private Usage usage(int n, long firstUnits, long apart) throws Exception {
        String cus = world.customer("tenant-a");
        TenantChain a = new TenantChain("tenant-a");
        List<StoredEntry> entries = new ArrayList<>();
        entries.add(a.registered("Tenant A", cus, world.at(0)));
        long units = 0;
        for (int i = 0; i < n; i++) {
            entries.add(a.usage("tokens", firstUnits + i, world.at(i * apart)));
            units = Math.addExact(units, firstUnits + i);
        }
        return new Usage(cus, entries, units);
    }

    private record Usage(String customer, List<StoredEntry> entries, long units) {
    }

    /** Both clocks move on, Stripe forgets the identifiers it held for longer, and its answers arrive again. */
    private void endOutage(Duration by) {
        world.clock.advance(by);
        world.stripe.advanceClock(by);
        world.stripe.loseAnswers(false);
    }

    @Test
    void givenAWindowStripeNeverRecorded_whenRetriedAfter25Hours_thenReconciliationSendsItOnce() throws Exception {
        String cus = world.customer("tenant-a");
        TenantChain a = new TenantChain("tenant-a");
        world.stripe.injectFaults(1.0, 3); // every call fails before it takes effect
        world.stripe.setFaultTimeout(Duration.ofMillis(10));
        world.start(Map.of());
        world.send(List.of(a.registered("Tenant A", cus, world.at(0)), a.usage("tokens", 9, world.at(100))));
        BillingWorld.await(() -> world.queryLong("select count(*) from meter_reader_window where sent_at is not null")
                == 1, "a first send recorded");

        world.clock.advance(Duration.ofHours(25)); // the worker's clock first (see the test above)
        world.stripe.advanceClock(Duration.ofHours(25));
        world.stripe.injectFaults(0, 0);

        world.awaitWrittenBack(1);
        assertThat(world.stripe.meterEventTotal(cus, "tokens")).isEqualTo(9);
        assertThat(world.stripe.meterEventsAccepted()).isEqualTo(1);
    }

    @Test
    void givenAWindowStripeHoldsThatWasParked_whenAnOperatorRequeuesItThreeDaysLater_thenItIsNotBilledAgain()
            throws Exception {
        String token = "operator-token-for-the-billing-window-tests";
        String cus = world.customer("tenant-a");
        TenantChain a = new TenantChain("tenant-a");
        world.stripe.loseAnswers(true);
        MeterReader reader = world.start(Map.of("METER_READER_ADMIN_TOKEN", token));
        world.send(List.of(a.registered("Tenant A", cus, world.at(0)), a.usage("tokens", 8, world.at(100))));
        BillingWorld.await(() -> world.stripe.meterEventsAccepted() == 1, "Stripe to accept the window");
        // the worker never heard back; the window ends up parked, and an operator looks at it days later
        world.queryString("update meter_reader_window set status = 'PARKED', parked_from = 'CLOSED', parked_at = now() "
                + "where tenant_id = 'tenant-a' returning identifier");
        world.stripe.loseAnswers(false);
        world.clock.advance(Duration.ofDays(3)); // the worker's clock first (see the first test)
        world.stripe.advanceClock(Duration.ofDays(3));

        String identifier = world.queryString("select identifier from meter_reader_window where tenant_id = 'tenant-a'");
        java.net.http.HttpResponse<String> retried = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + reader.port() + "/parked/"
                                + java.net.URLEncoder.encode(identifier, java.nio.charset.StandardCharsets.UTF_8) + "/retry"))
                        .header("Authorization", "Bearer " + token).POST(java.net.http.HttpRequest.BodyPublishers.noBody())
                        .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(retried.statusCode()).isEqualTo(200);

        world.awaitWrittenBack(1);
        assertThat(world.stripe.meterEventTotal(cus, "tokens")).as("billed once").isEqualTo(8);
        assertThat(world.stripe.meterEventsAccepted()).isEqualTo(1);
    }
}
