package dev.ledger.core.chain;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The one place SHA-256 comes from. A hashing-bound reader keeps its own instance ({@link #newDigest()}); everyone
 * else hashes with this thread's reusable one ({@link #of}), so no call pays for a provider lookup.
 */
public final class Sha256 {

    public static final int BYTES = 32;
    private static final ThreadLocal<MessageDigest> THREAD = ThreadLocal.withInitial(Sha256::newDigest);

    private Sha256() {
    }

    /** A fresh digest, for an object that hashes many times and keeps it (not thread-safe, like every digest). */
    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** This thread's digest, reset, for a caller that feeds it several parts. */
    public static MessageDigest thread() {
        MessageDigest md = THREAD.get();
        md.reset();
        return md;
    }

    /** SHA-256 of the parts, concatenated. */
    public static byte[] of(byte[]... parts) {
        MessageDigest md = thread();
        for (byte[] part : parts) {
            md.update(part);
        }
        return md.digest();
    }

    /** SHA-256 of {@code length} bytes of {@code bytes} from {@code offset}. */
    public static byte[] of(byte[] bytes, int offset, int length) {
        MessageDigest md = thread();
        md.update(bytes, offset, length);
        return md.digest();
    }
}
