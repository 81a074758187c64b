package dev.ledger.core.verify;

import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointKeys;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.chain.SignedNote;
import dev.ledger.core.chain.TlogProof;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
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
 *
 * <pre>
 * verify-proof &lt;entry.tlog-proof&gt; --key &lt;note verifier key&gt; --entry-hash &lt;hex&gt; [--origin &lt;origin&gt;]
 * </pre>
 * checks one C2SP tlog-proof file (GET /v1/tenants/{t}/entries/{seq}/proof with Accept: text/plain): its checkpoint
 * is signed by the note verifier key ({@code note_verifier_key} of GET /v1/checkpoint-keys, fetched independently),
 * has the origin given (when given: {@code <deployment origin>/tenants/<tenant_id>}), and its inclusion proof binds
 * the entry hash at its index to the checkpoint's root. Exit status 0 VALID, 1 BROKEN, 2 unreadable input or usage.
 *
 * <pre>
 * monitor --ledger &lt;url&gt; --state &lt;file&gt; [--tenant &lt;t&gt;]... [--log-key &lt;note verifier key&gt;]...
 *         [--witness &lt;cosigner key&gt;]... [--grace &lt;seconds&gt;] [--every &lt;seconds&gt;] [--once]
 * </pre>
 * watches checkpoints ({@link Monitor}) with the API key in the environment variable {@code LEDGER_MONITOR_KEY} (an
 * audit:read key of the tenant, or the admin key to watch every tenant): prints each round, and on the first alarm
 * (tail cut, rewrite, deleted tenant, unsigned, not cosigned) prints it and exits 1; with {@code --once} after one
 * clean round it exits 0. Unreachable ledger: exit 2 with {@code --once}, else it tries again next round.
 */
public final class VerifierMain {

    static final int VALID = 0;
    static final int BROKEN = 1;
    static final int UNUSABLE = 2;
    static final int TRUNCATED = 3;
    private static final String USAGE = "usage: verify <bundle.ndjson> [--keys <checkpoint-keys.json>] "
            + "[--checkpoint '<ledger_checkpoint of an invoice>']...\n"
            + "   or: verify-proof <entry.tlog-proof> --key <note verifier key> --entry-hash <hex> [--origin <origin>]\n"
            + "   or: monitor --ledger <url> --state <file> [--tenant <t>]... [--log-key <note verifier key>]... "
            + "[--witness <cosigner key>]... [--grace <seconds>] [--every <seconds>] [--once]   (API key in LEDGER_MONITOR_KEY)";

    private VerifierMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, System.getenv()));
    }

    /** As {@link #run(String[], PrintStream, PrintStream)}, reading settings (the monitor's key) from {@code env}. */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        if (args.length >= 1 && args[0].equals("monitor")) {
            return monitor(args, out, err, env);
        }
        return run(args, out, err);
    }

    static final int ALARM = 1;

    private static int monitor(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        String url = null;
        Path state = null;
        List<String> tenants = new ArrayList<>();
        List<String> logKeys = new ArrayList<>();
        List<String> witnesses = new ArrayList<>();
        long grace = 120;
        long every = 60;
        boolean once = false;
        try {
            for (int i = 1; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--once")) {
                    once = true;
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                String v = args[++i];
                switch (a) {
                    case "--ledger" -> url = v;
                    case "--state" -> state = Path.of(v);
                    case "--tenant" -> tenants.add(v);
                    case "--log-key" -> logKeys.add(SignedNote.verifierKey(v).encoded());
                    case "--witness" -> witnesses.add(dev.ledger.core.chain.Cosignature.CosignerKey.parse(v).encoded());
                    case "--grace" -> grace = Long.parseLong(v);
                    case "--every" -> every = Long.parseLong(v);
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (url == null || state == null) {
                throw new IllegalArgumentException("--ledger and --state are required");
            }
            if (grace < 0 || every < 1) {
                throw new IllegalArgumentException("--grace is at least 0 and --every at least 1 second");
            }
        } catch (IllegalArgumentException e) {
            err.println("cannot monitor: " + e.getMessage());
            err.println(USAGE);
            return UNUSABLE;
        }
        String key = env.get("LEDGER_MONITOR_KEY");
        if (key == null || key.isBlank()) {
            err.println("cannot monitor: set LEDGER_MONITOR_KEY to an audit:read key (or the admin key to watch every tenant)");
            return UNUSABLE;
        }
        Monitor monitor;
        try {
            monitor = new Monitor(java.net.URI.create(url), key, state, tenants, logKeys, witnesses, java.time.Duration.ofSeconds(grace),
                    java.time.Clock.systemUTC());
        } catch (IllegalArgumentException e) {
            err.println("cannot monitor: " + e.getMessage());
            return UNUSABLE;
        }
        while (true) {
            try {
                Monitor.Round round = monitor.round();
                if (round.alarm() != null) {
                    out.println("ALARM " + round.alarm());
                    return ALARM;
                }
                for (Monitor.Seen s : round.seen()) {
                    out.println(s.tenantId() + ": consistent at " + s.size() + " entries"
                            + (s.pendingSize() > 0 ? " (" + s.pendingSize() + " waiting for cosignatures)" : ""));
                }
                if (once) {
                    return VALID;
                }
            } catch (IOException | RuntimeException e) {
                err.println("monitor round failed: " + e.getMessage());
                if (once) {
                    return UNUSABLE;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return UNUSABLE;
            }
            try {
                Thread.sleep(every * 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return UNUSABLE;
            }
        }
    }

    /** The command line without System.exit: its exit status (public for tests that check a downloaded file). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length >= 1 && args[0].equals("verify-proof")) {
            return verifyProof(args, out, err);
        }
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

    private static final String PROOF_USAGE = "usage: verify-proof <entry.tlog-proof> --key <note verifier key> "
            + "--entry-hash <hex> [--origin <origin>]";

    private static int verifyProof(String[] args, PrintStream out, PrintStream err) {
        if (args.length < 2 || args.length % 2 != 0) {
            err.println(PROOF_USAGE);
            return UNUSABLE;
        }
        Path file = Path.of(args[1]);
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 2; i < args.length; i += 2) {
            if (!Set.of("--key", "--entry-hash", "--origin").contains(args[i]) || options.put(args[i], args[i + 1]) != null) {
                err.println(PROOF_USAGE);
                return UNUSABLE;
            }
        }
        if (!options.containsKey("--key") || !options.containsKey("--entry-hash")) {
            err.println(PROOF_USAGE);
            return UNUSABLE;
        }
        SignedNote.VerifierKey key;
        byte[] entryHash;
        TlogProof proof;
        try {
            key = SignedNote.verifierKey(options.get("--key"));
        } catch (IllegalArgumentException e) {
            err.println("cannot verify: --key " + e.getMessage());
            return UNUSABLE;
        }
        try {
            entryHash = Hex.parse(options.get("--entry-hash"));
            if (entryHash.length != 32) {
                throw new IllegalArgumentException("an entry hash is 32 bytes");
            }
        } catch (IllegalArgumentException e) {
            err.println("cannot verify: --entry-hash is 64 hex digits (" + e.getMessage() + ")");
            return UNUSABLE;
        }
        try {
            proof = TlogProof.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            err.println("cannot verify: no such file " + e.getFile());
            return UNUSABLE;
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            err.println("cannot verify " + file + ": not a tlog proof (" + e.getMessage() + ")");
            return UNUSABLE;
        }
        ObjectNode result = LedgerJson.mapper().createObjectNode();
        try {
            TlogProof.Verified v = proof.verify(entryHash, key, options.get("--origin"));
            out.println("VALID: the entry " + Hex.of(entryHash) + " is leaf " + v.index() + " of " + v.checkpoint().origin()
                    + ", tree size " + v.checkpoint().size() + ", signed by " + key.name());
            result.put("status", "VALID").put("origin", v.checkpoint().origin()).put("tree_size", v.checkpoint().size())
                    .put("index", v.index()).put("root_hash", Hex.of(v.checkpoint().rootHash()));
            out.println(LedgerJson.mapper().writeValueAsString(result));
            return VALID;
        } catch (IllegalArgumentException e) {
            out.println("BROKEN: " + e.getMessage());
            result.put("status", "BROKEN").put("index", proof.index()).put("reason", e.getMessage());
            try {
                out.println(LedgerJson.mapper().writeValueAsString(result));
            } catch (IOException io) {
                throw new UncheckedIOException(io);
            }
            return BROKEN;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
