package dev.ledger.witness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.core.chain.SignedNote;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The witness's settings: defaults, WITNESS_LOGS matching, and the refusals. */
class WitnessConfigTest {

    private static final SignedNote.SignerKey LEDGER = SignedNote.SignerKey.of("ledger.localhost", new byte[32]);
    private static final SignedNote.SignerKey SINGLE = SignedNote.SignerKey.of("single.example", Fixture.random(32));

    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", "postgresql://witness:secret-password@127.0.0.1:5432/witness");
        env.put("WITNESS_LOGS", "ledger.localhost/tenants/=" + LEDGER.verifier().encoded() + ", single.example/log="
                + SINGLE.verifier().encoded());
        return env;
    }

    @Test
    void givenOnlyTheRequiredSettings_thenTheDefaults() {
        WitnessConfig c = WitnessConfig.fromEnv(env());

        assertThat(c.port()).isEqualTo(8083);
        assertThat(c.bind().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(c.name()).isEqualTo("witness.localhost/w1");
        assertThat(c.seed()).isNull();
        assertThat(c.production()).isFalse();
        assertThat(c.toString()).doesNotContain("secret-password");
    }

    @Test
    void givenPrefixEntries_thenOriginsMatchByPrefixOrExactly() {
        TrustedLogs logs = WitnessConfig.fromEnv(env()).logs();

        assertThat(logs.keysFor("ledger.localhost/tenants/acme")).extracting(SignedNote.VerifierKey::encoded)
                .containsExactly(LEDGER.verifier().encoded());
        assertThat(logs.keysFor("ledger.localhost/tenants/")).isEmpty();
        assertThat(logs.keysFor("ledger.localhost/other")).isEmpty();
        assertThat(logs.keysFor("single.example/log")).hasSize(1);
        assertThat(logs.keysFor("single.example/log2")).as("no '/' at the end: exact").isEmpty();
    }

    @Test
    void givenAKey_thenItIsUsedAndNeverShown() {
        Map<String, String> env = env();
        byte[] seed = Fixture.random(32);
        env.put("WITNESS_KEY", Base64.getEncoder().encodeToString(seed));
        env.put("WITNESS_PORT", "9000");
        env.put("WITNESS_BIND_ADDRESS", "0.0.0.0");
        env.put("WITNESS_NAME", "witness.example/a");
        WitnessConfig c = WitnessConfig.fromEnv(env);

        assertThat(c.seed()).isEqualTo(seed);
        assertThat(c.port()).isEqualTo(9000);
        assertThat(c.bind().getHostAddress()).isEqualTo("0.0.0.0");
        assertThat(c.toString()).contains("key=set").doesNotContain(env.get("WITNESS_KEY"));
    }

    @Test
    void givenUnsafeOrMalformedSettings_thenItRefuses() {
        Map<String, String> production = env();
        production.put("LEDGER_PRODUCTION", "true");
        assertThatThrownBy(() -> WitnessConfig.fromEnv(production)).hasMessageContaining("WITNESS_KEY is unset in production");
        production.put("WITNESS_KEY", Base64.getEncoder().encodeToString(new byte[32]));
        assertThat(WitnessConfig.fromEnv(production).production()).isTrue();

        for (Map.Entry<String, String> bad : Map.of(
                "WITNESS_KEY", Base64.getEncoder().encodeToString(new byte[16]),
                "WITNESS_LOGS", "ledger.localhost/tenants/=not-a-key",
                "WITNESS_PORT", "http",
                "WITNESS_BIND_ADDRESS", "example.org",
                "WITNESS_NAME", "has space",
                "LEDGER_LOG_FORMAT", "xml").entrySet()) {
            Map<String, String> env = env();
            env.put(bad.getKey(), bad.getValue());
            assertThatThrownBy(() -> WitnessConfig.fromEnv(env)).as(bad.getKey()).isInstanceOf(IllegalArgumentException.class);
        }
        Map<String, String> none = env();
        none.remove("WITNESS_LOGS");
        assertThatThrownBy(() -> WitnessConfig.fromEnv(none)).hasMessageContaining("WITNESS_LOGS is required");
    }
}
