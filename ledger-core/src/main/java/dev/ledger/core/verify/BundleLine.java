package dev.ledger.core.verify;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** One parsed line of a bundle, as the parsing threads hand it to the sequential checks. */
sealed interface BundleLine {

    String HEADER = "header";
    String KEY = "key";
    String ANCHOR = "anchor";
    String ENTRY = "entry";
    String CHECKPOINT = "checkpoint";
    String END = "end";

    /** An entry reduced to what the checks need; its hash was recomputed from its stored bytes while parsing. */
    record EntryLine(long sequence, String tenantId, byte[] prevHash, byte[] hash, byte[] recomputedHash, byte[] leafHash)
            implements BundleLine {
    }

    /** Any other line, whole; {@code line} is relative to its block until the checks place it. */
    record RecordLine(int line, String kind, ObjectNode node) implements BundleLine {
    }
}
