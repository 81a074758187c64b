package dev.ledger.core.verify;

import com.sun.management.OperatingSystemMXBean;
import dev.ledger.core.chain.ChainFixture;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointSigner;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.chain.ProofIndex;
import dev.ledger.core.chain.StoredEntry;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The offline verifier's benchmark: writes a bundle of 1,000,000 entries to a temporary file, then prints the
 * verifier's rate next to the raw SHA-256 rate of the same bytes in the same run, and the cost of inclusion proofs at
 * that size. Prints figures; asserts nothing about time. Run either
 * {@code ./ledger bench OfflineVerifyBench} ({@code -Dentries=N} to change the size), or
 * {@code java -cp <test classpath> dev.ledger.core.verify.OfflineVerifyBench [entries]}.
 */
public final class OfflineVerifyBench {

    private static final String TENANT = "acme";

    public static void main(String[] args) throws Exception {
        run(args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000);
    }

    @Test
    void verifyAMillionEntryBundle() throws Exception {
        run(Integer.getInteger("entries", 1_000_000));
    }

    private static void run(int n) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "offline verify bench: %,d entries, %d cores, %s%n", n, cores, Runtime.version());

        // Entries are generated twice, identically: once for the roots the checkpoints sign, once into the file.
        long t0 = System.nanoTime();
        List<byte[]> hashes = new ArrayList<>(n);
        MerkleTree.Builder tree = new MerkleTree.Builder();
        CheckpointSigner signer = CheckpointSigner.generate();
        List<Checkpoint> checkpoints = new ArrayList<>();
        Iterator<StoredEntry> first = entries(n);
        while (first.hasNext()) {
            byte[] h = first.next().hash();
            hashes.add(h);
            tree.append(h);
            if (tree.size() % 100_000 == 0 || tree.size() == n) {
                checkpoints.add(signer.sign(TENANT, tree.size(), tree.root(), Instant.parse("2026-11-21T18:00:00Z")));
            }
        }
        Path file = Files.createTempFile("ledger-bench", ".ndjson");
        if (!Boolean.getBoolean("bench.keep")) {
            file.toFile().deleteOnExit();
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            BundleWriter.write(out, new BundleHeader(TENANT, 1, n, "2026-11-21T18:30:00.000Z"), List.of(signer.key()), null, checkpoints,
                    entries(n));
        }
        long bytes = Files.size(file);
        System.out.printf(Locale.ROOT, "wrote %s: %,d bytes (%.0f bytes/entry, %d checkpoints) in %.1f s%n", file, bytes,
                (double) bytes / n, checkpoints.size(), seconds(t0));

        // Verifier: one warm-up run, then three measured runs.
        BundleVerifier verifier = new BundleVerifier();
        BundleVerification result = verifier.verify(file);
        System.out.println("warm-up: " + result.summary());
        double best = 0;
        OperatingSystemMXBean os = ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);
        for (int run = 1; run <= 5; run++) {
            long t = System.nanoTime();
            long cpu = os.getProcessCpuTime();
            result = verifier.verify(file);
            double s = seconds(t);
            double cpuSeconds = (os.getProcessCpuTime() - cpu) / 1e9;
            best = Math.max(best, n / s);
            System.out.printf(Locale.ROOT, "BundleVerifier run %d: %.3f s = %,.0f entries/s (%,.0f MB/s of bundle); CPU %.2f s = %.2f µs/entry;"
                    + " load average %.1f%n", run, s, n / s, bytes / s / 1e6, cpuSeconds, cpuSeconds * 1e6 / n, os.getSystemLoadAverage());
        }
        if (!result.valid() || result.checkpointsVerified() != checkpoints.size()) {
            throw new IllegalStateException("bench bundle did not verify: " + result.summary());
        }

        // The same bytes through SHA-256 alone, one core: the floor any verifier that hashes the file pays.
        double shaBest = 0;
        for (int run = 1; run <= 3; run++) {
            long t = System.nanoTime();
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            try (InputStream in = Files.newInputStream(file)) {
                for (int r; (r = in.read(buf)) > 0; ) {
                    md.update(buf, 0, r);
                }
            }
            md.digest();
            double s = seconds(t);
            shaBest = Math.max(shaBest, bytes / s);
            System.out.printf(Locale.ROOT, "raw SHA-256 of the file run %d: %.3f s = %,.0f MB/s (= %,.0f entries/s)%n", run, s,
                    bytes / s / 1e6, n / s);
        }
        System.out.printf(Locale.ROOT, "best: verifier %,.0f entries/s; raw SHA-256 %,.0f entries/s (%,.0f MB/s)%n", best, shaBest / bytes * n,
                shaBest / 1e6);

        // Inclusion proofs at n leaves.
        long tb = System.nanoTime();
        ProofIndex index = ProofIndex.over(hashes);
        System.out.printf(Locale.ROOT, "ProofIndex over %,d entries built in %.0f ms%n", n, seconds(tb) * 1e3);
        byte[] root = index.root();
        if (!MessageDigest.isEqual(root, tree.root())) {
            throw new IllegalStateException("index root differs from the streamed root");
        }
        Random random = new Random(42);
        int proofs = 10_000;
        long worst = 0;
        long tp = System.nanoTime();
        for (int i = 0; i < proofs; i++) {
            long t = System.nanoTime();
            int leaf = random.nextInt(n);
            List<byte[]> path = index.inclusionProof(leaf, n);
            worst = Math.max(worst, System.nanoTime() - t);
            if (!MerkleTree.verifyInclusion(hashes.get(leaf), leaf, n, path, root)) {
                throw new IllegalStateException("proof " + leaf + " did not verify");
            }
        }
        System.out.printf(Locale.ROOT, "inclusion proof at %,d from the index: %.1f µs average (incl. verification), worst %.1f µs, "
                + "over %,d proofs%n", n, seconds(tp) * 1e6 / proofs, worst / 1e3, proofs);
        long tc = System.nanoTime();
        List<byte[]> consistency = index.consistencyProof(n / 3, n);
        System.out.printf(Locale.ROOT, "consistency proof %,d -> %,d: %d hashes in %.1f µs, verifies: %s%n", n / 3, n, consistency.size(),
                seconds(tc) * 1e6, MerkleTree.verifyConsistency(n / 3, n, index.root(n / 3), root, consistency));
        long ts = System.nanoTime();
        MerkleTree.inclusionProof(hashes, n / 2, n);
        System.out.printf(Locale.ROOT, "one-shot MerkleTree.inclusionProof(list, i, %,d) without a prebuilt index: %.0f ms%n", n,
                seconds(ts) * 1e3);
        if (Boolean.getBoolean("bench.keep")) {
            System.out.println("kept " + file);
            return;
        }
        Files.deleteIfExists(file);
    }

    private static Iterator<StoredEntry> entries(int n) {
        return new Iterator<>() {
            private long next = 1;
            private byte[] prev = EntryFraming.genesis();

            @Override
            public boolean hasNext() {
                return next <= n;
            }

            @Override
            public StoredEntry next() {
                StoredEntry e = ChainFixture.entry(TENANT, next, ChainFixture.payload(TENANT, next), prev);
                prev = e.hash();
                next++;
                return e;
            }
        };
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
