package dev.ledger.witness;

import dev.ledger.core.chain.Cosignature;
import java.security.SecureRandom;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running witness: its database, its key and its HTTP port. */
public final class WitnessService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WitnessService.class);

    private final WitnessStore store;
    private final WitnessServer server;
    private final Witness witness;

    private WitnessService(WitnessStore store, WitnessServer server, Witness witness) {
        this.store = store;
        this.server = server;
        this.witness = witness;
    }

    /** Migrates its tables, then listens; {@code clock} times the cosignatures. */
    public static WitnessService start(WitnessConfig config, Clock clock) {
        byte[] seed = config.seed();
        if (seed == null) {
            seed = new byte[32];
            new SecureRandom().nextBytes(seed);
        }
        Cosignature.Cosigner cosigner = Cosignature.Cosigner.of(config.name(), seed);
        if (config.seed() == null) {
            log.warn("WITNESS_KEY is unset: generated a key for this run only; its cosigner key is {}", cosigner.key().encoded());
        }
        WitnessStore store = WitnessStore.open(config);
        try {
            WitnessMetrics metrics = new WitnessMetrics();
            Witness witness = new Witness(cosigner, config.logs(), store, clock, metrics);
            WitnessServer server = WitnessServer.start(config.bind(), config.port(), witness, store, metrics, store::reachable);
            log.info("witness {} listening on {}:{}, cosigner key {}, logs {}", config.name(), config.bind().getHostAddress(),
                    server.port(), cosigner.key().encoded(), config.logs());
            return new WitnessService(store, server, witness);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    public int port() {
        return server.port();
    }

    /** The cosigner verifier key ({@code name+hash+base64(0x04 ‖ key)}), as {@code GET /key} serves it. */
    public String cosignerKey() {
        return witness.key().encoded();
    }

    @Override
    public void close() {
        server.close();
        store.close();
    }
}
