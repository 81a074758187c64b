package dev.ledger.witness;

import dev.ledger.core.chain.Base64Text;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@code add-checkpoint} request body taken apart (c2sp.org/tlog-witness): the {@code old <size>} line, up to
 * {@value #MAX_PROOF_LINES} consistency proof lines (one base64 hash each), an empty line, then the checkpoint note.
 * Only the framing is checked here; the note's signatures and text are the witness's to verify.
 *
 * @param oldSize        the size the client believes the witness last cosigned
 * @param proof          the consistency proof, 32-byte hashes
 * @param note           the checkpoint note as submitted
 * @param text           its text (origin, size, root and any extension lines, ending in a newline)
 * @param signatureLines its signature lines, without their newline, as they were sent
 */
record AddCheckpointRequest(long oldSize, List<byte[]> proof, String note, String text, List<String> signatureLines) {

    static final int MAX_PROOF_LINES = 63;
    private static final String EM_DASH = "\u2014 ";

    /** Thrown for a body that is not an add-checkpoint request (answered 400). */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    static AddCheckpointRequest parse(String body) throws Malformed {
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c < 0x20 && c != '\n' || c == 0x7f) {
                throw new Malformed("the body holds a control character other than newline");
            }
        }
        int end = body.indexOf('\n');
        if (end < 0) {
            throw new Malformed("the body starts with an old size line");
        }
        String oldLine = body.substring(0, end);
        if (!oldLine.matches("old (0|[1-9][0-9]{0,18})")) {
            throw new Malformed("the first line is \"old <size>\" (a decimal with no leading zero)");
        }
        long old;
        try {
            old = Long.parseLong(oldLine.substring(4));
        } catch (NumberFormatException e) {
            throw new Malformed("the old size is too large");
        }
        List<byte[]> proof = new ArrayList<>();
        int at = end + 1;
        while (true) {
            int next = body.indexOf('\n', at);
            if (next < 0) {
                throw new Malformed("the proof lines end with an empty line before the checkpoint");
            }
            String line = body.substring(at, next);
            at = next + 1;
            if (line.isEmpty()) {
                break;
            }
            if (proof.size() == MAX_PROOF_LINES) {
                throw new Malformed("at most " + MAX_PROOF_LINES + " consistency proof lines");
            }
            proof.add(hash(line));
        }
        String note = body.substring(at);
        if (note.isEmpty() || !note.endsWith("\n")) {
            throw new Malformed("the checkpoint note ends with a newline");
        }
        int split = note.lastIndexOf("\n\n");
        if (split < 0) {
            throw new Malformed("the checkpoint note has a blank line between its text and its signatures");
        }
        String text = note.substring(0, split + 1);
        if (text.startsWith("\n") || text.isEmpty()) {
            throw new Malformed("the checkpoint note has a text");
        }
        if (split + 2 >= note.length()) {
            throw new Malformed("the checkpoint note has at least one signature");
        }
        List<String> signatures = new ArrayList<>();
        for (String line : note.substring(split + 2, note.length() - 1).split("\n", -1)) {
            if (!line.startsWith(EM_DASH)) {
                throw new Malformed("a signature line starts with an em dash and a space");
            }
            String rest = line.substring(EM_DASH.length());
            int space = rest.indexOf(' ');
            if (space <= 0 || rest.indexOf(' ', space + 1) >= 0 || rest.substring(0, space).contains("+")) {
                throw new Malformed("a signature line is a key name and a base64 signature");
            }
            byte[] raw;
            try {
                raw = Base64Text.decode(rest.substring(space + 1));
            } catch (IllegalArgumentException e) {
                throw new Malformed("a signature is base64");
            }
            if (raw.length < 5) {
                throw new Malformed("a signature holds a key ID and the signature");
            }
            signatures.add(line);
        }
        return new AddCheckpointRequest(old, List.copyOf(proof), note, text, List.copyOf(signatures));
    }

    /** The checkpoint's first line: its origin (not yet trusted). */
    String origin() {
        return text.substring(0, text.indexOf('\n'));
    }

    /** The key name of a signature line of {@link #signatureLines}. */
    static String signatureName(String line) {
        String rest = line.substring(EM_DASH.length());
        return rest.substring(0, rest.indexOf(' '));
    }

    /** The key ID (first four bytes, big-endian) of a signature line of {@link #signatureLines}. */
    static int signatureKeyId(String line) {
        String rest = line.substring(EM_DASH.length());
        byte[] raw = Base64Text.decode(rest.substring(rest.indexOf(' ') + 1));
        return (raw[0] & 0xff) << 24 | (raw[1] & 0xff) << 16 | (raw[2] & 0xff) << 8 | raw[3] & 0xff;
    }

    private static byte[] hash(String line) throws Malformed {
        byte[] h;
        try {
            h = Base64Text.decode(line);
        } catch (IllegalArgumentException e) {
            throw new Malformed("a consistency proof line is the base64 of a hash");
        }
        if (h.length != 32) {
            throw new Malformed("a consistency proof line is the padded base64 of a 32-byte hash");
        }
        return h;
    }
}
