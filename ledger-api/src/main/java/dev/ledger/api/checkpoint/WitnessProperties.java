package dev.ledger.api.checkpoint;

import dev.ledger.core.chain.Cosignature;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The witnesses every checkpoint is sent to (C2SP tlog-witness).
 *
 * @param targets    {@code LEDGER_WITNESSES}: comma-separated {@code <submission prefix URL>=<cosigner key>}, the key as the
 *                   witness publishes it ({@code name+hash+base64}, Ed25519 cosignature/v1); empty: no witness
 * @param submitMillis how often, in milliseconds, checkpoints not yet cosigned are sent
 *                   ({@code LEDGER_WITNESS_SUBMIT_MILLIS}; the scheduler reads the same property)
 * @param timeout    how long one request to a witness may take ({@code LEDGER_WITNESS_TIMEOUT})
 */
@ConfigurationProperties("ledger.witness")
public record WitnessProperties(@DefaultValue("") String targets, @DefaultValue("1000") long submitMillis,
                                @DefaultValue("5s") Duration timeout) {

    /** A witness: where its add-checkpoint lives, and the key its cosignatures must verify with. */
    public record Witness(URI submissionPrefix, Cosignature.CosignerKey key) {
        public String name() {
            return key.name();
        }
    }

    /** The configured witnesses; a malformed entry is refused at start, naming the entry (no secret is in it). */
    public List<Witness> witnesses() {
        List<Witness> out = new ArrayList<>();
        if (targets == null || targets.isBlank()) {
            return out;
        }
        for (String entry : targets.split(",")) {
            String e = entry.strip();
            if (e.isEmpty()) {
                continue;
            }
            int eq = e.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("LEDGER_WITNESSES: \"" + e + "\" is not <submission prefix URL>=<cosigner key>");
            }
            URI url;
            try {
                url = URI.create(e.substring(0, eq).strip().replaceAll("/+$", ""));
            } catch (IllegalArgumentException bad) {
                throw new IllegalArgumentException("LEDGER_WITNESSES: \"" + e.substring(0, eq) + "\" is not a URL");
            }
            if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme()) || url.getHost() == null) {
                throw new IllegalArgumentException("LEDGER_WITNESSES: \"" + url + "\" is not an http(s) URL");
            }
            Cosignature.CosignerKey key;
            try {
                key = Cosignature.CosignerKey.parse(e.substring(eq + 1).strip());
            } catch (IllegalArgumentException bad) {
                throw new IllegalArgumentException("LEDGER_WITNESSES: the key of " + url + " is not a cosigner key: " + bad.getMessage());
            }
            if (out.stream().anyMatch(w -> w.name().equals(key.name()))) {
                throw new IllegalArgumentException("LEDGER_WITNESSES: two witnesses are named " + key.name());
            }
            out.add(new Witness(url, key));
        }
        return List.copyOf(out);
    }
}
