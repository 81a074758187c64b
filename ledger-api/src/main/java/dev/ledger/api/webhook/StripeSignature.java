package dev.ledger.api.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks a {@code Stripe-Signature} header as Stripe defines it: {@code t=<unix seconds>} and one or more
 * {@code v1=<hex HMAC-SHA256 of "t.body">} (one per secret while a secret is rolled; other schemes such as {@code v0}
 * are ignored). The event is accepted when any {@code v1} matches any configured secret, compared in constant time,
 * and its timestamp is within the tolerance of the ledger's clock in <em>both</em> directions (stripe-java's
 * {@code Webhook} refuses only old timestamps, so a signature made for the future would be replayable until then).
 */
final class StripeSignature {

    /** Why a signature was refused; null from {@link #check} when it holds. */
    enum Refusal {
        /** No header, no timestamp or no {@code v1}, or a part that is not {@code key=value}. */
        MALFORMED,
        /** No {@code v1} is the HMAC of the body under any configured secret. */
        NO_MATCH,
        /** Signed, but the timestamp is older or newer than the tolerance allows. */
        OUTSIDE_TOLERANCE
    }

    private static final int MAX_HEADER = 8192;
    private static final int MAX_SIGNATURES = 16;

    private final List<byte[]> secrets;
    private final Duration tolerance;

    StripeSignature(List<String> secrets, Duration tolerance) {
        this.secrets = secrets.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
        this.tolerance = tolerance;
    }

    Refusal check(String header, byte[] body, Instant now) {
        if (header == null || header.isEmpty() || header.length() > MAX_HEADER) {
            return Refusal.MALFORMED;
        }
        String timestamp = null;
        List<byte[]> signatures = new ArrayList<>();
        for (String part : header.split(",", -1)) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                return Refusal.MALFORMED;
            }
            String key = part.substring(0, eq).strip();
            String value = part.substring(eq + 1).strip();
            if (key.equals("t")) {
                if (timestamp != null) {
                    return Refusal.MALFORMED;
                }
                timestamp = value;
            } else if (key.equals("v1") && signatures.size() < MAX_SIGNATURES) {
                signatures.add(value.getBytes(StandardCharsets.US_ASCII));
            }
        }
        long t = seconds(timestamp);
        if (t < 0 || signatures.isEmpty()) {
            return Refusal.MALFORMED;
        }
        byte[] signed = signedPayload(timestamp, body);
        boolean matched = false;
        for (byte[] secret : secrets) {
            byte[] expected = HexFormat.of().formatHex(hmac(secret, signed)).getBytes(StandardCharsets.US_ASCII);
            for (byte[] candidate : signatures) {
                matched |= MessageDigest.isEqual(expected, candidate); // every pair compared: no early exit
            }
        }
        if (!matched) {
            return Refusal.NO_MATCH;
        }
        long skew = Math.abs(now.getEpochSecond() - t);
        return skew > tolerance.toSeconds() ? Refusal.OUTSIDE_TOLERANCE : null;
    }

    /** Unix seconds written as 1 to 12 ASCII digits (no sign), else -1. */
    private static long seconds(String s) {
        if (s == null || s.isEmpty() || s.length() > 12 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        return Long.parseLong(s);
    }

    private static byte[] signedPayload(String timestamp, byte[] body) {
        byte[] t = timestamp.getBytes(StandardCharsets.US_ASCII);
        byte[] signed = new byte[t.length + 1 + body.length];
        System.arraycopy(t, 0, signed, 0, t.length);
        signed[t.length] = '.';
        System.arraycopy(body, 0, signed, t.length + 1, body.length);
        return signed;
    }

    private static byte[] hmac(byte[] secret, byte[] message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(message);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }
}
