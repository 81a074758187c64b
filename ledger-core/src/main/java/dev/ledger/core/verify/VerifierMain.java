package dev.ledger.core.verify;

import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointKeys;
import dev.ledger.core.messages.LedgerJson;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The offline verifier's command line:
 *
 * <pre>
 * verify &lt;bundle.ndjson&gt; [--keys &lt;checkpoint-keys.json&gt;] [--checkpoint '&lt;ledger_checkpoint&gt;']...
 * </pre>
 * Prints progress to stderr, then one line for a person and one JSON line (the result) to stdout. Exit status:
 * 0 VALID, 1 BROKEN, 2 unreadable input or usage error, 3 TRUNCATED (the bundle was cut short: fetch it again). {@code --keys} takes the answer of GET /v1/checkpoint-keys,
 * fetched independently, and trusts only those keys instead of the ones the bundle carries. {@code --checkpoint} takes
 * a Stripe invoice's {@code ledger_checkpoint} metadata value and holds the bundle against it as well (signed by a
 * trusted key, the tree of the entries at its size): the invoice was billed on exactly this history. Given for two
 * invoices, both holding shows the later one's history extends the earlier one's.
 */
public final class VerifierMain {

    static final int VALID = 0;
    static final int BROKEN = 1;
    static final int UNUSABLE = 2;
    static final int TRUNCATED = 3;
    private static final String USAGE = "usage: verify <bundle.ndjson> [--keys <checkpoint-keys.json>] "
            + "[--checkpoint '<ledger_checkpoint of an invoice>']...";

    private VerifierMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length < 2 || !args[0].equals("verify")) {
            err.println(USAGE);
            return UNUSABLE;
        }
        Path bundle = Path.of(args[1]);
        Path keysFile = null;
        List<Checkpoint> held = new ArrayList<>();
        for (int i = 2; i < args.length; i += 2) {
            if (i + 1 >= args.length || !args[i].equals("--keys") && !args[i].equals("--checkpoint")
                    || args[i].equals("--keys") && keysFile != null) {
                err.println(USAGE);
                return UNUSABLE;
            }
            if (args[i].equals("--keys")) {
                keysFile = Path.of(args[i + 1]);
            } else {
                try {
                    held.add(Checkpoint.fromMetadata(args[i + 1]));
                } catch (IllegalArgumentException e) {
                    err.println("cannot verify: --checkpoint " + e.getMessage());
                    return UNUSABLE;
                }
            }
        }
        try {
            BundleVerifier verifier = new BundleVerifier().holding(held);
            if (keysFile != null) {
                verifier = verifier.trustingOnly(readKeys(keysFile));
            }
            long started = System.nanoTime();
            verifier = verifier.reportingProgress(BundleVerifier.DEFAULT_PROGRESS_EVERY, checked -> err.printf(Locale.ROOT,
                    "verified %,d entries (%,.0f entries/s)%n", checked, checked / seconds(started)));
            BundleVerification result = verifier.verify(bundle);
            err.printf(Locale.ROOT, "done in %.2f s%n", seconds(started));
            out.println(result.summary());
            out.println(LedgerJson.mapper().writeValueAsString(result.toJson()));
            return switch (result.status()) {
                case VALID -> VALID;
                case BROKEN -> BROKEN;
                case TRUNCATED -> TRUNCATED;
            };
        } catch (NoSuchFileException e) {
            err.println("cannot verify: no such file " + e.getFile());
            return UNUSABLE;
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            err.println("cannot verify " + bundle + ": " + e.getMessage());
            return UNUSABLE;
        } catch (RuntimeException e) {
            // A fault of the verifier itself: no verdict, and no stack trace for the person reading the output.
            err.println("cannot verify " + bundle + ": the verifier failed (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
            return UNUSABLE;
        }
    }

    private static CheckpointKeys readKeys(Path file) throws IOException {
        try {
            return CheckpointKeys.fromJson(LedgerJson.mapper().readTree(Files.readAllBytes(file)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the keys file " + file + " is not a checkpoint-keys answer: " + e.getMessage(), e);
        }
    }

    private static double seconds(long startedNanos) {
        return Math.max(1e-9, (System.nanoTime() - startedNanos) / 1e9);
    }
}
