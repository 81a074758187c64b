package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.LedgerClient.Answer;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.chain.Hex;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 16: checkpoints and proofs of a large tenant do not re-read its chain. The tree is resumed from the
 * frontier stored with the last checkpoint, so after a restart (nothing in memory) the next checkpoint reads only
 * the entries appended since, and a proof reads a block of entries, not the chain; both still match the root a full
 * rebuild gives.
 */
class LargeTenantCheckpointTest {

    private static final int ENTRIES = 100_000;

    @Test
    void givenALargeTenantWithACheckpointWhenTheServiceRestartsAndTenEntriesFollowThenTheNextCheckpointReadsOnlyThoseTen()
            throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        String tenant = "large-" + UUID.randomUUID().toString().substring(0, 8);
        long firstMs;
        // given a tenant of 100,001 entries with a checkpoint over all of them
        try (RunningLedger ledger = RunningLedger.start(infra)) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", tenant));
            LargeTenantRows.append(infra.postgres.jdbcUrl(), tenant, ENTRIES);
            long t0 = System.nanoTime();
            Answer first = admin.post("/v1/tenants/" + tenant + "/checkpoints", Map.of());
            firstMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(first.status()).as(first.raw().body()).isEqualTo(201);
            assertThat(first.body().path("size").asLong()).isEqualTo(ENTRIES + 1);
        }
        // when the service restarts (nothing of the tree in memory) and ten more entries are appended
        LargeTenantRows.append(infra.postgres.jdbcUrl(), tenant, 10);
        // (checkpoints issued by themselves only in the round at start-up, which may extend other tests' tenants' trees)
        try (RunningLedger ledger = RunningLedger.start(infra, Map.of("ledger.checkpoint.scan-millis", 3_600_000,
                "ledger.checkpoint.interval", "100h"))) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            double before = settledEntriesRead(ledger);
            long t0 = System.nanoTime();
            Answer next = admin.post("/v1/tenants/" + tenant + "/checkpoints", Map.of());
            long nextMs = (System.nanoTime() - t0) / 1_000_000;
            double readForCheckpoint = entriesRead(ledger) - before;

            // then the checkpoint read the ten new entries only, and its root is the full rebuild's
            assertThat(next.status()).as(next.raw().body()).isEqualTo(201);
            Checkpoint checkpoint = Checkpoint.fromJson(next.body());
            assertThat(checkpoint.size()).isEqualTo(ENTRIES + 11);
            assertThat(readForCheckpoint).as("entries read to issue the checkpoint").isEqualTo(10.0);
            List<byte[]> hashes = storedHashes(infra, tenant);
            assertThat(checkpoint.rootHash()).isEqualTo(MerkleTree.root(hashes));

            // and an inclusion proof reads a block of entries, not the chain, and verifies against the checkpoint
            before = entriesRead(ledger);
            Answer proof = admin.get("/v1/tenants/" + tenant + "/entries/50000/proof?size=" + checkpoint.size());
            double readForProof = entriesRead(ledger) - before;
            assertThat(proof.status()).as(proof.raw().body()).isEqualTo(200);
            List<byte[]> path = new ArrayList<>();
            for (JsonNode h : proof.body().get("audit_path")) {
                path.add(Hex.parse(h.asText()));
            }
            assertThat(MerkleTree.verifyInclusion(hashes.get(49_999), 49_999, checkpoint.size(), path, checkpoint.rootHash())).isTrue();
            assertThat(readForProof).as("entries read to answer the proof").isLessThanOrEqualTo(2.0 * 1024);
            // a consistency proof between the two checkpoints also holds
            Answer consistency = admin.get("/v1/tenants/" + tenant + "/consistency?from=" + (ENTRIES + 1) + "&to=" + checkpoint.size());
            List<byte[]> proofHashes = new ArrayList<>();
            consistency.body().get("proof").forEach(h -> proofHashes.add(Hex.parse(h.asText())));
            assertThat(MerkleTree.verifyConsistency(ENTRIES + 1, checkpoint.size(), MerkleTree.root(hashes.subList(0, ENTRIES + 1)),
                    checkpoint.rootHash(), proofHashes)).isTrue();
            System.out.printf("checkpoint over %,d entries: first %d ms; after a restart and 10 more entries %d ms, %.0f entries read;"
                    + " proof: %.0f entries read%n", ENTRIES + 1, firstMs, nextMs, readForCheckpoint, readForProof);
        }
    }

    private static double settledEntriesRead(RunningLedger ledger) {
        double last = entriesRead(ledger);
        for (int stable = 0, rounds = 0; stable < 15 && rounds < 300; rounds++) {
            java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L); // poll until unchanged for 1.5 s
            double now = entriesRead(ledger);
            stable = Double.compare(now, last) == 0 ? stable + 1 : 0;
            last = now;
        }
        return last;
    }

    private static double entriesRead(RunningLedger ledger) {
        var counter = ledger.context().getBean(MeterRegistry.class).find("ledger.merkle.entries.read").counter();
        return counter == null ? Double.NaN : counter.count();
    }

    private static List<byte[]> storedHashes(SharedInfrastructure infra, String tenant) throws Exception {
        List<byte[]> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl());
             PreparedStatement ps = c.prepareStatement("select entry_hash from domain_event_entry where aggregate_identifier = ?"
                     + " order by sequence_number")) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getBytes(1));
                }
            }
        }
        return out;
    }
}
