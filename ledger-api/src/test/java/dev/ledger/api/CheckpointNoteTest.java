package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.core.verify.VerifierMain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint served as a C2SP signed note (c2sp.org/signed-note, c2sp.org/tlog-checkpoint) verifies with the
 * published note verifier key, checked by this test's own reading of the two specifications: it splits the lines,
 * computes the key hash and verifies the Ed25519 signature with java.security, and uses none of the ledger's encoders.
 * The note is the same checkpoint as the JSON one, and a one-byte change of it is refused. A proof downloaded as a C2SP
 * tlog-proof file verifies offline with the verifier's {@code verify-proof}, and a tampered one does not.
 */
class CheckpointNoteTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String ORIGIN = "ledger.test.example/eu";

    @TempDir
    Path dir;

    @Test
    void theLatestCheckpointAsASignedNoteVerifiesWithThePublishedKeyAndIsTheJsonCheckpoint() throws Exception {
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.checkpoint.origin", ORIGIN))) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            String tenant = "note-a";
            LedgerClient writer = tenantWithEntries(admin, tenant, 5);

            JsonNode json = admin.get("/v1/tenants/" + tenant + "/checkpoints/latest").body();
            // the published verifier key of the key that signed it (the tests share a database, so earlier runs' keys are
            // listed too), read as c2sp.org/signed-note says
            JsonNode published = publishedKey(admin, json.get("key_id").asText());
            Vkey vkey = Vkey.parse(published.get("note_verifier_key").asText());
            assertThat(vkey.name).isEqualTo(ORIGIN);
            // the same Ed25519 key as the X.509 one that signs the JSON checkpoints
            byte[] x509 = Base64.getDecoder().decode(published.get("public_key").asText());
            assertThat(Arrays.copyOfRange(x509, x509.length - 32, x509.length)).isEqualTo(vkey.publicKey);

            HttpResponse<String> answer = get(ledger, "/v1/tenants/" + tenant + "/checkpoints/latest", RunningLedger.ADMIN_KEY, "text/plain");
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
            String note = answer.body();

            Checkpoint read = verifiedCheckpoint(note, vkey);
            assertThat(read).as("the note verifies with the published key:\n%s", note).isNotNull();
            assertThat(read.origin).isEqualTo(ORIGIN + "/tenants/" + tenant);
            assertThat(read.size).isEqualTo(json.get("size").asLong());
            assertThat(HexFormat.of().formatHex(read.root)).isEqualTo(json.get("root_hash").asText());

            // JSON stays the default, and is what application/json answers
            assertThat(get(ledger, "/v1/tenants/" + tenant + "/checkpoints/latest", RunningLedger.ADMIN_KEY, "application/json").body())
                    .startsWith("{");

            // every one-byte change of the note is refused
            byte[] bytes = note.getBytes(StandardCharsets.UTF_8);
            List<Integer> accepted = new ArrayList<>();
            for (int i = 0; i < bytes.length; i++) {
                byte[] changed = bytes.clone();
                changed[i] ^= 0x01;
                if (verifiedCheckpoint(new String(changed, StandardCharsets.UTF_8), vkey) != null) {
                    accepted.add(i);
                }
            }
            assertThat(accepted).as("byte positions whose change still verifies").isEmpty();
            // nor does another deployment's key name for the same key
            assertThat(verifiedCheckpoint(note, new Vkey("ledger.other.example", vkey.publicKey,
                    Vkey.hash("ledger.other.example", vkey.publicKey)))).isNull();

            // a later checkpoint is another note of the JSON one
            writer.post("/v1/evaluations", LedgerClient.evaluation("ev_late"), tenant + "-late");
            JsonNode later = admin.post("/v1/tenants/" + tenant + "/checkpoints", Map.of()).body();
            Checkpoint next = verifiedCheckpoint(get(ledger, "/v1/tenants/" + tenant + "/checkpoints/latest", RunningLedger.ADMIN_KEY,
                    "text/plain").body(), vkey);
            assertThat(next.size).isEqualTo(later.get("size").asLong()).isGreaterThan(read.size);
            assertThat(HexFormat.of().formatHex(next.root)).isEqualTo(later.get("root_hash").asText());
        }
    }

    @Test
    void aDownloadedProofFileVerifiesOfflineAndATamperedOneDoesNot() throws Exception {
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.checkpoint.origin", ORIGIN))) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            String tenant = "note-b";
            LedgerClient writer = tenantWithEntries(admin, tenant, 6);
            JsonNode checkpoint = admin.post("/v1/tenants/" + tenant + "/checkpoints", Map.of()).body();
            long size = checkpoint.get("size").asLong();
            String key = publishedKey(admin, checkpoint.get("key_id").asText()).get("note_verifier_key").asText();
            List<JsonNode> entries = new ArrayList<>();
            admin.get("/v1/tenants/" + tenant + "/entries?limit=1000").body().get("entries").forEach(entries::add);

            for (int seq = 1; seq <= size; seq++) {
                HttpResponse<String> answer = get(ledger, "/v1/tenants/" + tenant + "/entries/" + seq + "/proof", RunningLedger.ADMIN_KEY,
                        "text/plain");
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                assertThat(answer.headers().firstValue("Content-Disposition").orElse("")).contains(tenant + "-" + seq + ".tlog-proof");
                String proof = answer.body();
                assertThat(proof).startsWith("c2sp.org/tlog-proof@v1\nindex " + (seq - 1) + "\n");
                // the checkpoint in it is the latest one, as the signed note the checkpoint endpoint serves
                String note = get(ledger, "/v1/tenants/" + tenant + "/checkpoints/latest", RunningLedger.ADMIN_KEY, "text/plain").body();
                assertThat(proof).endsWith("\n\n" + note);
                Path file = Files.writeString(dir.resolve(tenant + "-" + seq + ".tlog-proof"), proof);
                String hash = entries.get(seq - 1).get("hash").asText();
                assertThat(verifyProof(file, key, hash, ORIGIN + "/tenants/" + tenant)).as("entry %d", seq).isZero();
                // another entry's hash, another tenant's origin
                assertThat(verifyProof(file, key, entries.get(seq % (int) size).get("hash").asText(), null)).isEqualTo(1);
                assertThat(verifyProof(file, key, hash, ORIGIN + "/tenants/other")).isEqualTo(1);
                // tampered: the index, a proof hash, the checkpoint's size
                Path tampered = dir.resolve("tampered.tlog-proof");
                Files.writeString(tampered, proof.replace("\n" + size + "\n", "\n" + (size + 1) + "\n"));
                assertThat(verifyProof(tampered, key, hash, null)).isEqualTo(1);
                Files.writeString(tampered, proof.replace("index " + (seq - 1), "index " + (seq % size)));
                assertThat(verifyProof(tampered, key, hash, null)).isEqualTo(1);
                String[] lines = proof.split("\n", -1);
                lines[2] = Base64.getEncoder().encodeToString(new byte[32]);
                Files.writeString(tampered, String.join("\n", lines));
                assertThat(verifyProof(tampered, key, hash, null)).isEqualTo(1);
            }

            // an entry after the latest checkpoint is refused with a stable code, as problem+json
            writer.post("/v1/evaluations", LedgerClient.evaluation("ev_late"), tenant + "-late");
            HttpResponse<String> uncovered = get(ledger, "/v1/tenants/" + tenant + "/entries/" + (size + 1) + "/proof",
                    RunningLedger.ADMIN_KEY, "text/plain");
            assertThat(uncovered.statusCode()).as(uncovered.body()).isEqualTo(409);
            assertThat(uncovered.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
            assertThat(LedgerClient.parse(uncovered.body()).get("code").asText()).isEqualTo("entry_not_checkpointed");
            // the JSON proof still answers up to the head
            assertThat(admin.get("/v1/tenants/" + tenant + "/entries/" + (size + 1) + "/proof").status()).isEqualTo(200);
            // the proof against an earlier checkpoint, by its size; a size no checkpoint has is not found
            HttpResponse<String> earlier = get(ledger, "/v1/tenants/" + tenant + "/entries/1/proof?size=" + size, RunningLedger.ADMIN_KEY,
                    "text/plain");
            assertThat(earlier.statusCode()).as(earlier.body()).isEqualTo(200);
            assertThat(earlier.body()).contains("\n" + size + "\n");
            assertThat(get(ledger, "/v1/tenants/" + tenant + "/entries/1/proof?size=" + (size - 1), RunningLedger.ADMIN_KEY,
                    "text/plain").statusCode()).isEqualTo(404);
        }
    }

    // ---- a minimal reader of c2sp.org/signed-note and c2sp.org/tlog-checkpoint, written from the specifications

    record Vkey(String name, byte[] publicKey, byte[] hash) {
        /** {@code name+hex(key hash)+base64(0x01 ‖ 32-byte Ed25519 key)}, its hash checked. */
        static Vkey parse(String text) {
            int first = text.indexOf('+');
            int second = text.indexOf('+', first + 1);
            String name = text.substring(0, first);
            byte[] hash = HexFormat.of().parseHex(text.substring(first + 1, second));
            byte[] key = Base64.getDecoder().decode(text.substring(second + 1));
            assertThat(key).hasSize(33);
            assertThat(key[0]).as("algorithm Ed25519").isEqualTo((byte) 0x01);
            byte[] publicKey = Arrays.copyOfRange(key, 1, 33);
            assertThat(hash).as("key hash of %s", text).isEqualTo(hash(name, publicKey));
            return new Vkey(name, publicKey, hash);
        }

        /** The first four bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key). */
        static byte[] hash(String name, byte[] publicKey) {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                sha.update(name.getBytes(StandardCharsets.UTF_8));
                sha.update(new byte[] {0x0A, 0x01});
                sha.update(publicKey);
                return Arrays.copyOf(sha.digest(), 4);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    record Checkpoint(String origin, long size, byte[] root) {
    }

    /** The checkpoint, if {@code note} carries a valid signature by {@code key} over its text; else null. */
    static Checkpoint verifiedCheckpoint(String note, Vkey key) {
        try {
            // the text ends with the newline before the blank line; the signature lines follow it
            int blank = note.indexOf("\n\n");
            if (blank < 0 || !note.endsWith("\n")) {
                return null;
            }
            String text = note.substring(0, blank + 1);
            String[] lines = text.split("\n");
            if (lines.length != 3 || !lines[1].matches("0|[1-9][0-9]*")) {
                return null;
            }
            byte[] root = Base64.getDecoder().decode(lines[2]);
            if (root.length != 32 || !Base64.getEncoder().encodeToString(root).equals(lines[2])) {
                return null;
            }
            boolean signed = false;
            for (String line : note.substring(blank + 2, note.length() - 1).split("\n", -1)) {
                String prefix = "\u2014 " + key.name + " ";
                if (!line.startsWith(prefix)) {
                    continue;
                }
                String base64 = line.substring(prefix.length());
                byte[] sig = Base64.getDecoder().decode(base64);
                // one spelling per signature: the decoder ignores the unused low bits of the last character
                if (sig.length == 68 && Base64.getEncoder().encodeToString(sig).equals(base64) && Arrays.equals(Arrays.copyOf(sig, 4), key.hash)) {
                    Signature ed = Signature.getInstance("Ed25519");
                    ed.initVerify(javaKey(key.publicKey));
                    ed.update(text.getBytes(StandardCharsets.UTF_8));
                    signed |= ed.verify(Arrays.copyOfRange(sig, 4, 68));
                }
            }
            return signed ? new Checkpoint(lines[0], Long.parseLong(lines[1]), root) : null;
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return null;
        }
    }

    private static PublicKey javaKey(byte[] raw) throws GeneralSecurityException {
        byte[] x509 = new byte[44];
        System.arraycopy(HexFormat.of().parseHex("302a300506032b6570032100"), 0, x509, 0, 12);
        System.arraycopy(raw, 0, x509, 12, 32);
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(x509));
    }

    // ----

    private static LedgerClient tenantWithEntries(LedgerClient admin, String tenant, int n) {
        admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", tenant));
        String key = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write"))).body().get("key").asText();
        LedgerClient writer = admin.withKey(key);
        for (int i = 0; i < n; i++) {
            assertThat(writer.post("/v1/evaluations", LedgerClient.evaluation("ev_" + i), tenant + "-" + i).status()).isEqualTo(201);
        }
        return writer;
    }

    private static JsonNode publishedKey(LedgerClient admin, String keyId) {
        for (JsonNode k : admin.withKey(null).get("/v1/checkpoint-keys").body().get("keys")) {
            if (k.get("key_id").asText().equals(keyId)) {
                return k;
            }
        }
        throw new AssertionError("key " + keyId + " is not published");
    }

    private static int verifyProof(Path file, String key, String entryHash, String origin) {
        List<String> args = new ArrayList<>(List.of("verify-proof", file.toString(), "--key", key, "--entry-hash", entryHash));
        if (origin != null) {
            args.addAll(List.of("--origin", origin));
        }
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        return VerifierMain.run(args.toArray(String[]::new), new PrintStream(sink), new PrintStream(sink));
    }

    private static HttpResponse<String> get(RunningLedger ledger, String path, String key, String accept) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(ledger.url() + path)).header("Authorization", "Bearer " + key)
                    .header("Accept", accept).GET().build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
