package dev.ledger.core.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.core.chain.Cosignature;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.chain.SignedNote;
import dev.ledger.core.chain.TlogCheckpoint;
import dev.ledger.core.messages.LedgerJson;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A monitor of a ledger's checkpoints, run by an auditor who trusts neither the ledger nor its operator: it reads each
 * tenant's latest checkpoint as a C2SP signed note, holds it to the ledger keys and witnesses it pinned on its first
 * run, and holds every new checkpoint to the last one it accepted with an RFC 6962 consistency proof. Its state (the
 * pinned keys and, per tenant, the size and root it accepted) is one JSON file, replaced atomically after each round.
 *
 * <p>A round finds the first {@link Alarm}: a tail cut (a smaller tree than one accepted), a rewrite (the same size
 * with another root, or a proof that does not lead from the accepted tree to the new one), a deleted tenant (one it
 * watched that the ledger no longer answers for), a checkpoint no pinned ledger key signed, or one a pinned witness has
 * not cosigned within the grace period. A checkpoint is accepted, and the state moves on, only when every pinned witness
 * cosigned it; until then it is still held to the accepted one.
 */
public final class Monitor {

    static final String FORMAT = "ledger-monitor/v1";

    /** What the monitor found wrong; {@code kind} is stable: tail_cut, rewrite, deleted_tenant, unsigned, not_cosigned. */
    public record Alarm(String tenantId, String kind, String reason) {
        @Override
        public String toString() {
            return tenantId + ": " + kind + ": " + reason;
        }
    }

    /** How one tenant stood after a round: its accepted size, and whether a newer checkpoint waits for cosignatures. */
    public record Seen(String tenantId, long size, long pendingSize) {
    }

    /** A round's outcome: the tenants seen, and the first alarm (null when none). */
    public record Round(List<Seen> seen, Alarm alarm) {
    }

    private final URI ledger;
    private final String apiKey;
    private final Path stateFile;
    private final List<String> tenants;
    private final Duration grace;
    private final Clock clock;
    private final HttpClient http;
    private final List<String> givenLogKeys;
    private final List<String> givenWitnesses;

    /**
     * @param tenants   the tenants to watch; empty: every tenant the admin key lists ({@code GET /v1/tenants})
     * @param logKeys   ledger note verifier keys to trust; empty: those of {@code GET /v1/checkpoint-keys}, pinned
     * @param witnesses cosigner keys whose cosignature every checkpoint needs; empty: those the ledger lists, pinned
     */
    public Monitor(URI ledger, String apiKey, Path stateFile, List<String> tenants, List<String> logKeys, List<String> witnesses,
                   Duration grace, Clock clock) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
        this.stateFile = Objects.requireNonNull(stateFile, "stateFile");
        this.tenants = List.copyOf(tenants);
        this.givenLogKeys = List.copyOf(logKeys);
        this.givenWitnesses = List.copyOf(witnesses);
        this.grace = grace;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /**
     * One round over the watched tenants; the state file is written when no alarm was found (an alarm leaves the state
     * as it was, so the next run raises it again).
     *
     * @throws IOException when the ledger cannot be reached or answers something that is not a checkpoint
     */
    public Round round() throws IOException, InterruptedException {
        ObjectNode state = readState();
        List<SignedNote.VerifierKey> logKeys = pinnedLogKeys(state);
        List<Cosignature.CosignerKey> witnesses = pinnedWitnesses(state);
        ObjectNode watched = state.with("tenants");
        Set<String> names = new TreeSet<>(tenants.isEmpty() ? listTenants() : tenants);
        ObjectNode logged = state.with("logged");
        if (tenants.isEmpty()) {
            watched.fieldNames().forEachRemaining(names::add); // a tenant gone from the list is still asked for
            Alarm alarm = followLog(state.with("checkpoint_log"), logged, logKeys);
            if (alarm != null) {
                return new Round(List.of(), alarm);
            }
            logged.fieldNames().forEachRemaining(names::add); // every tenant the log ever recorded a checkpoint of
        }
        List<Seen> seen = new ArrayList<>();
        for (String tenant : names) {
            ObjectNode last = watched.has(tenant) ? (ObjectNode) watched.get(tenant) : null;
            ObjectNode inLog = tenants.isEmpty() && logged.has(tenant) ? (ObjectNode) logged.get(tenant) : null;
            Check check = check(tenant, last, inLog, logKeys, witnesses);
            if (check.alarm() != null) {
                return new Round(seen, check.alarm());
            }
            watched.set(tenant, check.state());
            seen.add(new Seen(tenant, check.state().path("size").asLong(), check.state().path("pending_size").asLong(0)));
        }
        writeState(state);
        return new Round(seen, null);
    }

    private record Check(ObjectNode state, Alarm alarm) {
        static Check alarm(String tenant, String kind, String reason) {
            return new Check(null, new Alarm(tenant, kind, reason));
        }
    }

    /** A tree the tenant's checkpoints must keep extending: one this monitor accepted, or one the log of checkpoints recorded. */
    private record Baseline(long size, byte[] root, String what) {
    }

    private Check check(String tenant, ObjectNode last, ObjectNode inLog, List<SignedNote.VerifierKey> logKeys,
                        List<Cosignature.CosignerKey> witnesses) throws IOException, InterruptedException {
        List<Baseline> baselines = new ArrayList<>();
        if (last != null && last.path("size").asLong() > 0) {
            baselines.add(new Baseline(last.path("size").asLong(), Base64.getDecoder().decode(last.path("root").asText()),
                    "this monitor accepted"));
        }
        if (inLog != null) {
            baselines.add(new Baseline(inLog.path("size").asLong(), Base64.getDecoder().decode(inLog.path("root").asText()),
                    "the deployment's log of checkpoints (position " + inLog.path("position").asLong() + ") recorded"));
        }
        HttpResponse<String> answer = get("/v1/tenants/" + path(tenant) + "/checkpoints/latest", "text/plain");
        if (answer.statusCode() == 404) {
            if (!baselines.isEmpty() || last != null) {
                Baseline b = baselines.isEmpty() ? new Baseline(0, null, "this monitor accepted") : baselines.get(baselines.size() - 1);
                return Check.alarm(tenant, "deleted_tenant", "the ledger answers 404 for a tenant whose checkpoint of " + b.size()
                        + " entries " + b.what() + ": the tenant was deleted");
            }
            throw new IOException("the ledger has no tenant " + tenant);
        }
        if (answer.statusCode() != 200) {
            throw new IOException("GET checkpoints/latest of " + tenant + " answered " + answer.statusCode());
        }
        String note = answer.body();
        TlogCheckpoint.Body body = null;
        for (SignedNote.VerifierKey key : logKeys) {
            try {
                body = TlogCheckpoint.open(note, key);
                break;
            } catch (IllegalArgumentException notThisKey) {
                // the next pinned key
            }
        }
        if (body == null) {
            return Check.alarm(tenant, "unsigned", "the latest checkpoint is signed by none of the pinned ledger keys");
        }
        if (!body.origin().endsWith("/tenants/" + tenant)) {
            return Check.alarm(tenant, "unsigned", "the checkpoint is for origin " + body.origin() + ", not this tenant's");
        }
        long size = body.size();
        byte[] root = body.rootHash();
        ObjectNode next = last == null ? LedgerJson.mapper().createObjectNode() : last.deepCopy();
        for (Baseline b : baselines) {
            if (size < b.size()) {
                return Check.alarm(tenant, "tail_cut", "the ledger's checkpoint holds " + size + " entries, but " + b.what() + " "
                        + b.size() + " (root " + Hex.of(b.root()) + "): entries " + (size + 1) + ".." + b.size() + " were cut off");
            }
            if (size == b.size() && !java.security.MessageDigest.isEqual(root, b.root())) {
                return Check.alarm(tenant, "rewrite", "the checkpoint of " + size + " entries has root " + Hex.of(root) + ", but "
                        + b.what() + " root " + Hex.of(b.root()) + " for that size: the history was rewritten");
            }
            if (size > b.size() && b.size() > 0) {
                List<byte[]> proof = consistency(tenant, b.size(), size);
                if (proof == null || !MerkleTree.verifyConsistency(b.size(), size, b.root(), root, proof)) {
                    return Check.alarm(tenant, "rewrite", "the checkpoint of " + size + " entries is not consistent with the one of "
                            + b.size() + " " + b.what() + " (root " + Hex.of(b.root()) + "): the first " + b.size()
                            + " entries were rewritten");
                }
            }
        }
        String text = body.text();
        List<String> missing = new ArrayList<>();
        for (Cosignature.CosignerKey w : witnesses) {
            boolean cosigned = note.lines().anyMatch(line -> Cosignature.verify(text, line, w).isPresent());
            if (!cosigned) {
                missing.add(w.name());
            }
        }
        Instant now = clock.instant();
        if (!missing.isEmpty()) {
            // held to the accepted tree above, but accepted only once cosigned: a witness may not have answered yet
            if (next.path("pending_size").asLong(-1) != size) {
                next.put("pending_size", size).put("pending_since", now.toString());
            } else if (Duration.between(Instant.parse(next.path("pending_since").asText()), now).compareTo(grace) > 0) {
                return Check.alarm(tenant, "not_cosigned", "the checkpoint of " + size + " entries has no cosignature of "
                        + String.join(", ", missing) + " after " + grace.toSeconds() + " s");
            }
            if (last == null) {
                next.put("size", 0).put("root", Base64.getEncoder().encodeToString(MerkleTree.emptyRoot()));
            }
            return new Check(next, null);
        }
        next.put("size", size).put("root", Base64.getEncoder().encodeToString(root)).put("accepted_at", now.toString());
        next.remove("pending_size");
        next.remove("pending_since");
        return new Check(next, null);
    }

    /**
     * Follows the deployment's log of checkpoints: its signed head must be a pinned key's, never smaller than the one
     * accepted, and the leaves after the accepted size must lead from the accepted tree (kept as its frontier) to the
     * new root; each leaf's tenant checkpoint becomes a baseline that tenant must keep extending, whether or not this
     * monitor ever saw the tenant itself. Answers the first alarm, or null.
     */
    private Alarm followLog(ObjectNode logState, ObjectNode logged, List<SignedNote.VerifierKey> logKeys)
            throws IOException, InterruptedException {
        HttpResponse<String> answer = get("/v1/checkpoint-log", "text/plain");
        if (answer.statusCode() != 200) {
            throw new IOException("GET /v1/checkpoint-log answered " + answer.statusCode());
        }
        TlogCheckpoint.Body body = null;
        for (SignedNote.VerifierKey key : logKeys) {
            try {
                body = TlogCheckpoint.open(answer.body(), key);
                break;
            } catch (IllegalArgumentException notThisKey) {
                // the next pinned key
            }
        }
        String log = "the log of checkpoints";
        if (body == null || !body.origin().endsWith("/checkpoints")) {
            return new Alarm(log, "unsigned", "its checkpoint is signed by none of the pinned ledger keys, or is not a log of checkpoints");
        }
        String deployment = body.origin().substring(0, body.origin().length() - "/checkpoints".length());
        long lastSize = logState.path("size").asLong(0);
        List<byte[]> frontier = new ArrayList<>();
        logState.path("frontier").forEach(h -> frontier.add(Base64.getDecoder().decode(h.asText())));
        if (body.size() < lastSize) {
            return new Alarm(log, "tail_cut", "it holds " + body.size() + " checkpoints, but this monitor accepted " + lastSize
                    + ": the leaves from position " + body.size() + " on were removed");
        }
        MerkleTree.Builder tree = MerkleTree.Builder.resume(lastSize, frontier);
        long position = lastSize;
        while (position < body.size()) {
            HttpResponse<String> page = get("/v1/checkpoint-log/leaves?from=" + position + "&limit=1000", "application/json");
            if (page.statusCode() != 200) {
                throw new IOException("GET /v1/checkpoint-log/leaves answered " + page.statusCode() + " (it needs the admin key)");
            }
            JsonNode leaves = LedgerJson.mapper().readTree(page.body()).path("leaves");
            if (leaves.isEmpty()) {
                break;
            }
            for (JsonNode leaf : leaves) {
                if (position == body.size()) {
                    break;
                }
                if (leaf.path("position").asLong(-1) != position) {
                    return new Alarm(log, "rewrite", "its leaves skip position " + position);
                }
                String tenant = leaf.path("tenant_id").asText();
                long size = leaf.path("size").asLong();
                byte[] root = Hex.parse(leaf.path("root_hash").asText());
                tree.appendLeafData(new TlogCheckpoint.Body(TlogCheckpoint.origin(deployment, tenant), size, root).text()
                        .getBytes(StandardCharsets.UTF_8));
                if (logged.has(tenant)) {
                    Alarm alarm = leafAfter(tenant, (ObjectNode) logged.get(tenant), size, root, position);
                    if (alarm != null) {
                        return alarm;
                    }
                }
                logged.set(tenant, LedgerJson.mapper().createObjectNode().put("size", size)
                        .put("root", Base64.getEncoder().encodeToString(root)).put("position", position));
                position++;
            }
        }
        if (tree.size() != body.size() || !java.security.MessageDigest.isEqual(tree.root(), body.rootHash())) {
            return new Alarm(log, "rewrite", "its leaves do not lead from the " + lastSize + " this monitor accepted to its root of "
                    + body.size() + ": leaves were changed or removed");
        }
        ArrayNode saved = LedgerJson.mapper().createArrayNode();
        tree.frontier().forEach(h -> saved.add(Base64.getEncoder().encodeToString(h)));
        logState.put("size", body.size()).put("root", Base64.getEncoder().encodeToString(body.rootHash())).set("frontier", saved);
        return null;
    }

    /**
     * A tenant's next leaf in the log against its previous one: a smaller tree is a cut, the same size with another root
     * a fork, and a larger one must be consistent with it. A proof the ledger cannot give (the chain is now shorter, the
     * tenant gone) is left to the tenant's own check, which raises it.
     */
    private Alarm leafAfter(String tenant, ObjectNode previous, long size, byte[] root, long position)
            throws IOException, InterruptedException {
        long before = previous.path("size").asLong();
        byte[] beforeRoot = Base64.getDecoder().decode(previous.path("root").asText());
        String where = "the deployment's log of checkpoints recorded " + before + " entries at position "
                + previous.path("position").asLong() + ", then " + size + " at position " + position;
        if (size < before) {
            return new Alarm(tenant, "tail_cut", where + ": entries " + (size + 1) + ".." + before + " were cut off");
        }
        if (size == before && !java.security.MessageDigest.isEqual(root, beforeRoot)) {
            return new Alarm(tenant, "rewrite", where + ", with another root (" + Hex.of(beforeRoot) + ", then " + Hex.of(root)
                    + "): the history was rewritten");
        }
        if (size > before && before > 0) {
            List<byte[]> proof = consistency(tenant, before, size);
            if (proof != null && !MerkleTree.verifyConsistency(before, size, beforeRoot, root, proof)) {
                return new Alarm(tenant, "rewrite", where + ", not consistent with it: the first " + before + " entries were rewritten");
            }
        }
        return null;
    }

    private List<byte[]> consistency(String tenant, long from, long to) throws IOException, InterruptedException {
        HttpResponse<String> answer = get("/v1/tenants/" + path(tenant) + "/consistency?from=" + from + "&to=" + to, "application/json");
        if (answer.statusCode() != 200) {
            return null;
        }
        List<byte[]> proof = new ArrayList<>();
        for (JsonNode h : LedgerJson.mapper().readTree(answer.body()).path("proof")) {
            proof.add(Hex.parse(h.asText()));
        }
        return proof;
    }

    private List<String> listTenants() throws IOException, InterruptedException {
        List<String> out = new ArrayList<>();
        String after = "";
        while (true) {
            HttpResponse<String> answer = get("/v1/tenants?limit=500" + (after.isEmpty() ? "" : "&after=" + path(after)), "application/json");
            if (answer.statusCode() != 200) {
                throw new IOException("GET /v1/tenants answered " + answer.statusCode() + " (watching every tenant needs the admin key)");
            }
            JsonNode page = LedgerJson.mapper().readTree(answer.body());
            page.path("tenants").forEach(t -> out.add(t.path("tenant_id").asText()));
            if (!page.path("next_after").isTextual() || page.path("next_after").asText().isEmpty()) {
                return out;
            }
            after = page.path("next_after").asText();
        }
    }

    private List<SignedNote.VerifierKey> pinnedLogKeys(ObjectNode state) throws IOException, InterruptedException {
        ArrayNode pinned = state.withArray("log_keys");
        if (pinned.isEmpty()) {
            Set<String> keys = new LinkedHashSet<>(givenLogKeys);
            if (keys.isEmpty()) {
                publishedKeys().path("keys").forEach(k -> keys.add(k.path("note_verifier_key").asText()));
            }
            keys.forEach(pinned::add);
        }
        List<SignedNote.VerifierKey> out = new ArrayList<>();
        pinned.forEach(k -> out.add(SignedNote.verifierKey(k.asText())));
        return out;
    }

    private List<Cosignature.CosignerKey> pinnedWitnesses(ObjectNode state) throws IOException, InterruptedException {
        if (!state.has("witnesses")) {
            ArrayNode pinned = state.putArray("witnesses");
            Set<String> keys = new LinkedHashSet<>(givenWitnesses);
            if (keys.isEmpty()) {
                publishedKeys().path("witnesses").forEach(w -> keys.add(w.path("cosigner_key").asText()));
            }
            keys.forEach(pinned::add);
        }
        List<Cosignature.CosignerKey> out = new ArrayList<>();
        state.withArray("witnesses").forEach(k -> out.add(Cosignature.CosignerKey.parse(k.asText())));
        return out;
    }

    private JsonNode publishedKeys() throws IOException, InterruptedException {
        HttpResponse<String> answer = get("/v1/checkpoint-keys", "application/json");
        if (answer.statusCode() != 200) {
            throw new IOException("GET /v1/checkpoint-keys answered " + answer.statusCode());
        }
        return LedgerJson.mapper().readTree(answer.body());
    }

    private ObjectNode readState() throws IOException {
        if (!Files.exists(stateFile)) {
            return LedgerJson.mapper().createObjectNode().put("format", FORMAT).put("ledger", ledger.toString());
        }
        JsonNode node = LedgerJson.mapper().readTree(Files.readAllBytes(stateFile));
        if (!(node instanceof ObjectNode o) || !FORMAT.equals(o.path("format").asText())) {
            throw new IOException("the state file " + stateFile + " is not a " + FORMAT + " state");
        }
        if (!ledger.toString().equals(o.path("ledger").asText())) {
            throw new IOException("the state file " + stateFile + " watches " + o.path("ledger").asText() + ", not " + ledger);
        }
        return o;
    }

    private void writeState(ObjectNode state) throws IOException {
        Path dir = stateFile.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, stateFile.getFileName().toString(), ".partial");
        Files.write(tmp, LedgerJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
        try {
            Files.move(tmp, stateFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private HttpResponse<String> get(String pathAndQuery, String accept) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(ledger.toString().replaceAll("/+$", "") + pathAndQuery))
                .timeout(Duration.ofSeconds(30)).header("Accept", accept).header("Authorization", "Bearer " + apiKey).GET().build();
        return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static String path(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
