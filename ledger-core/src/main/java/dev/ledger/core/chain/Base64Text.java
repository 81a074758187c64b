package dev.ledger.core.chain;

import java.util.Base64;

/**
 * Base64 text of the signed-note family (keys, signatures, cosignatures, roots and proof hashes): RFC 4648's standard
 * alphabet with padding, in its one canonical spelling. The JDK's decoder (like Go's standard one) ignores the unused
 * low bits of the last character, so "…B=" and "…C=" can decode to the same bytes; a note could then be changed and
 * still verify. Here the text must be exactly what encoding its bytes gives, so a note has one spelling and any
 * changed byte is refused.
 */
public final class Base64Text {

    private Base64Text() {
    }

    /** The bytes of {@code text}; IllegalArgumentException unless it is their canonical padded base64. */
    public static byte[] decode(String text) {
        byte[] raw = Base64.getDecoder().decode(text);
        if (!Base64.getEncoder().encodeToString(raw).equals(text)) {
            throw new IllegalArgumentException("not the canonical padded base64 of its bytes");
        }
        return raw;
    }
}
