package dev.ledger.witness;

import dev.ledger.core.chain.Cosignature;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.chain.SignedNote;
import dev.ledger.core.chain.TlogCheckpoint;
import java.security.MessageDigest;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks of c2sp.org/tlog-witness {@code add-checkpoint}, in the specification's order, and the cosignature of a
 * checkpoint that passes them (Ed25519 {@code cosignature/v1}, timestamped with {@link #clock}'s POSIX seconds).
 */
final class Witness {

    private static final Logger log = LoggerFactory.getLogger(Witness.class);

    /** Why a submission was refused: the metrics' {@code reason} tag, and the status it is answered with. */
    enum Reason {
        MALFORMED(400), TOO_LARGE(413), UNKNOWN_ORIGIN(404), UNTRUSTED_SIGNATURE(403), BAD_SIGNATURE(403),
        OLD_BEYOND_SIZE(400), CONFLICT(409), EMPTY_TREE_ROOT(422), PROOF_FROM_ZERO(422), INCONSISTENT(422),
        SAME_SIZE_OTHER_ROOT(422);

        final int status;

        Reason(int status) {
            this.status = status;
        }

        String tag() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }

        /** A refusal of a checkpoint whose log signature verified: kept as evidence (only the consistency failures). */
        boolean evidence() {
            return status == 422;
        }
    }

    /** The answer to one submission. */
    record Outcome(int status, String contentType, String body, Reason reason) {
        static Outcome refused(Reason reason, String message) {
            return new Outcome(reason.status, "text/plain; charset=utf-8", message + "\n", reason);
        }

        static Outcome conflict(long size) {
            return new Outcome(409, "text/x.tlog.size", size + "\n", Reason.CONFLICT);
        }

        static Outcome cosigned(String lines) {
            return new Outcome(200, "text/plain; charset=utf-8", lines, null);
        }
    }

    private final Cosignature.Cosigner cosigner;
    private final TrustedLogs logs;
    private final WitnessStore store;
    private final Clock clock;
    private final WitnessMetrics metrics;

    Witness(Cosignature.Cosigner cosigner, TrustedLogs logs, WitnessStore store, Clock clock, WitnessMetrics metrics) {
        this.cosigner = cosigner;
        this.logs = logs;
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
    }

    Cosignature.CosignerKey key() {
        return cosigner.key();
    }

    /** Checks, and when every check passes, persists and cosigns; the outcome is also counted in the metrics. */
    Outcome addCheckpoint(String body) throws SQLException {
        Outcome outcome = check(body);
        metrics.count(outcome.reason());
        return outcome;
    }

    private Outcome check(String body) throws SQLException {
        AddCheckpointRequest request;
        try {
            request = AddCheckpointRequest.parse(body);
        } catch (AddCheckpointRequest.Malformed e) {
            return Outcome.refused(Reason.MALFORMED, e.getMessage());
        }
        String origin = request.origin();
        List<SignedNote.VerifierKey> keys = logs.keysFor(origin);
        if (keys.isEmpty()) {
            return Outcome.refused(Reason.UNKNOWN_ORIGIN, "unknown log origin");
        }
        // every signature line whose key name and ID are a trusted key's must verify; others are ignored
        List<String> verified = new ArrayList<>();
        SignedNote.VerifierKey verifiedKey = null;
        for (String line : request.signatureLines()) {
            String name = AddCheckpointRequest.signatureName(line);
            int keyId = AddCheckpointRequest.signatureKeyId(line);
            for (SignedNote.VerifierKey key : keys) {
                if (key.name().equals(name) && key.keyHash() == keyId) {
                    if (!SignedNote.verifiedBy(request.text() + "\n" + line + "\n", key)) {
                        return Outcome.refused(Reason.BAD_SIGNATURE, "a signature of a trusted key does not verify");
                    }
                    if (!verified.contains(line)) {
                        verified.add(line);
                    }
                    verifiedKey = key;
                }
            }
        }
        if (verifiedKey == null) {
            return Outcome.refused(Reason.UNTRUSTED_SIGNATURE, "no signature of a key trusted for this origin");
        }
        TlogCheckpoint.Body checkpoint;
        try {
            checkpoint = TlogCheckpoint.open(request.text() + "\n" + verified.get(0) + "\n", verifiedKey);
        } catch (IllegalArgumentException e) {
            return Outcome.refused(Reason.MALFORMED, "not a checkpoint: " + e.getMessage());
        }
        if (request.oldSize() > checkpoint.size()) {
            return Outcome.refused(Reason.OLD_BEYOND_SIZE, "the old size is larger than the checkpoint's size");
        }
        String logSignatures = String.join("\n", verified) + "\n";
        Outcome[] refusal = new Outcome[1];
        WitnessStore.Decision decision = store.advance(origin, latest -> {
            refusal[0] = consistency(request, checkpoint, latest);
            if (refusal[0] != null) {
                return new WitnessStore.Keep();
            }
            Instant now = clock.instant();
            String cosignature = cosigner.cosign(request.text(), now.getEpochSecond());
            return new WitnessStore.Advance(checkpoint.size(), checkpoint.rootHash(), request.note(), logSignatures,
                    cosignature, now);
        });
        if (decision instanceof WitnessStore.Advance a) {
            log.info("cosigned {} at size {}", origin, checkpoint.size());
            return Outcome.cosigned(a.cosignature());
        }
        Outcome refused = refusal[0];
        if (refused.reason().evidence()) {
            log.warn("refused {} at size {} from old size {}: {}", origin, checkpoint.size(), request.oldSize(), refused.reason().tag());
            store.refusal(origin, checkpoint.size(), checkpoint.rootHash(), request.oldSize(), refused.reason().tag(),
                    request.note(), clock.instant());
        }
        return refused;
    }

    /** The checks against the latest cosigned checkpoint (under its row lock); null when the checkpoint extends it. */
    private static Outcome consistency(AddCheckpointRequest request, TlogCheckpoint.Body checkpoint, WitnessStore.Latest latest) {
        long old = request.oldSize();
        if (old != latest.size()) {
            return Outcome.conflict(latest.size());
        }
        if (checkpoint.size() == 0 && !MessageDigest.isEqual(checkpoint.rootHash(), MerkleTree.emptyRoot())) {
            return Outcome.refused(Reason.EMPTY_TREE_ROOT, "a checkpoint of size 0 has the empty tree's root");
        }
        if (old == 0) {
            return request.proof().isEmpty() ? null
                    : Outcome.refused(Reason.PROOF_FROM_ZERO, "the consistency proof from size 0 is empty");
        }
        if (old == checkpoint.size()) {
            if (!MessageDigest.isEqual(latest.rootHash(), checkpoint.rootHash())) {
                return Outcome.refused(Reason.SAME_SIZE_OTHER_ROOT, "the checkpoint has the size of the latest cosigned one but another root");
            }
            return request.proof().isEmpty() ? null
                    : Outcome.refused(Reason.INCONSISTENT, "the consistency proof between equal sizes is empty");
        }
        if (!MerkleTree.verifyConsistency(old, checkpoint.size(), latest.rootHash(), checkpoint.rootHash(), request.proof())) {
            return Outcome.refused(Reason.INCONSISTENT, "the consistency proof does not verify");
        }
        return null;
    }
}
