package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The meter-reader's policy settings (LEDGER_ALLOWED_METERS, _BIND_ADDRESS, _RECONCILE_AFTER_SECONDS, …). */
class WorkerPolicyConfigTest {

    @Test
    void givenNothingSet_thenTheDefaultsAreLoopbackTheLedgersOwnMetersAnd20Hours() {
        MeterReaderPolicy p = MeterReaderPolicy.fromEnv(Map.of());
        assertThat(p.allowedMeters()).containsExactlyInAnyOrder("evaluations", "tokens");
        assertThat(p.probeBindAddress()).isEqualTo(InetAddress.getLoopbackAddress());
        assertThat(p.reconcileAfter()).isEqualTo(Duration.ofHours(20));
        assertThat(p.checkpointInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.requireCheckpoint()).isFalse();
    }

    @Test
    void givenAnAllowlistAndAnAddress_thenTheyAreRead() throws Exception {
        MeterReaderPolicy p = MeterReaderPolicy.fromEnv(Map.of("LEDGER_ALLOWED_METERS", " tokens , gpu.seconds,",
                "METER_READER_BIND_ADDRESS", "0.0.0.0", "METER_READER_REQUIRE_CHECKPOINT", "true"));
        assertThat(p.allowedMeters()).containsExactlyInAnyOrder("tokens", "gpu.seconds");
        assertThat(p.allows("evaluations")).isFalse();
        assertThat(p.probeBindAddress()).isEqualTo(InetAddress.getByName("0.0.0.0"));
        assertThat(p.requireCheckpoint()).isTrue();
    }

    @Test
    void givenUnsafeOrMalformedSettings_thenStartUpIsRefusedWithTheSettingsName() {
        assertThatThrownBy(() -> MeterReaderPolicy.fromEnv(Map.of("LEDGER_ALLOWED_METERS", " , ")))
                .hasMessageContaining("LEDGER_ALLOWED_METERS");
        assertThatThrownBy(() -> MeterReaderPolicy.fromEnv(Map.of("LEDGER_ALLOWED_METERS", "tokens,bad meter")))
                .hasMessageContaining("LEDGER_ALLOWED_METERS");
        assertThatThrownBy(() -> MeterReaderPolicy.fromEnv(Map.of("METER_READER_BIND_ADDRESS", "example.org")))
                .hasMessageContaining("METER_READER_BIND_ADDRESS");
        assertThatThrownBy(() -> MeterReaderPolicy.fromEnv(Map.of("METER_READER_RECONCILE_AFTER_SECONDS", "90000")))
                .hasMessageContaining("METER_READER_RECONCILE_AFTER_SECONDS");
        assertThatThrownBy(() -> MeterReaderPolicy.fromEnv(Map.of("METER_READER_REQUIRE_CHECKPOINT", "true",
                "METER_READER_CHECKPOINT_SECONDS", "0"))).hasMessageContaining("METER_READER_CHECKPOINT_SECONDS");
    }

    @Test
    void givenTenantAndMeterNamesThatOnceCollided_thenTheirIdentifiersDifferAndFitStripe() {
        Instant start = Instant.ofEpochSecond(1_700_000_000L);
        assertThat(UsageWindow.identifier("acme", "eu-tokens", start)).isEqualTo("ledger:4:acme:9:eu-tokens:1700000000");
        assertThat(UsageWindow.identifier("acme-eu", "tokens", start)).isEqualTo("ledger:7:acme-eu:6:tokens:1700000000");
        String longest = UsageWindow.identifier("t".repeat(63), "m".repeat(100), start);
        assertThat(longest).startsWith("ledger-h-").hasSizeLessThanOrEqualTo(UsageWindow.MAX_IDENTIFIER);
        assertThat(longest).isNotEqualTo(UsageWindow.identifier("t".repeat(63), "m".repeat(99), start));
    }
}
