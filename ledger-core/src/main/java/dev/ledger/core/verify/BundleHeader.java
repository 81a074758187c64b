package dev.ledger.core.verify;

import java.util.Objects;

/**
 * The first line of an export bundle: whose entries, which range ({@code toSequence = fromSequence − 1} for an
 * empty range), and when it was written (RFC 3339 UTC). The header is not signed; checkpoints are what vouch for
 * the entries. The header line also names the chain format of the entries ({@code chain_format},
 * {@link dev.ledger.core.entry.ChainFormat#VERSION}), which {@link BundleWriter} writes and the verifier requires.
 */
public record BundleHeader(String tenantId, long fromSequence, long toSequence, String exportedAt) {

    /** The first format: no closing line, so a bundle cut after a whole line cannot be told from a complete one. */
    public static final String FORMAT_V1 = "ledger-export/v1";
    /** v1 plus the closing line ({@code kind} "end"), which every complete bundle ends with. */
    public static final String FORMAT_V2 = "ledger-export/v2";

    public BundleHeader {
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(exportedAt, "exportedAt");
        if (fromSequence < 1) {
            throw new IllegalArgumentException("from_sequence starts at 1");
        }
        if (toSequence < fromSequence - 1) {
            throw new IllegalArgumentException("to_sequence " + toSequence + " is before from_sequence " + fromSequence);
        }
    }

    /** Whether the bundle starts after entry 1 and so carries an anchor instead of the entries before it. */
    public boolean ranged() {
        return fromSequence > 1;
    }
}
