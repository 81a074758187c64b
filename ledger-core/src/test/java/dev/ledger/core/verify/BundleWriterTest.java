package dev.ledger.core.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.core.chain.ChainFixture;
import dev.ledger.core.chain.CheckpointSigner;
import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.chain.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class BundleWriterTest {

    private final List<StoredEntry> chain = ChainFixture.chain("acme", 3);

    @Test
    void givenEntriesWhenWrittenThenEachLineIsKindFollowedByExactlyTheEntryCodecMembers() throws IOException {
        // given an entry with its payload and one redacted to its digest
        StoredEntry full = chain.get(0);
        StoredEntry e = chain.get(1);
        StoredEntry redacted = new StoredEntry(e.tenantId(), e.sequence(), e.eventId(), e.type(), null, e.recordedAt(), null,
                Sha256.of(e.payload()), e.metadata(), e.prevHash(), e.hash());
        // when
        String bundle = BundleFixture.write(new BundleHeader("acme", 1, 2, "2026-11-21T18:30:00.000Z"), null, null, List.of(),
                List.of(full, redacted));
        List<ObjectNode> lines = BundleFixture.lines(bundle);
        // then
        for (int i = 0; i < 2; i++) {
            ObjectNode line = lines.get(1 + i);
            ObjectNode expected = line.objectNode().put("kind", "entry");
            expected.setAll(EntryCodec.toJson(i == 0 ? full : redacted));
            assertThat(BundleFixture.json(line)).isEqualTo(BundleFixture.json(expected));
        }
        assertThat(bundle).endsWith("\n").doesNotContain("\n\n");
    }

    @Test
    void givenAWriterWhenLinesComeOutOfOrderThenItRefusesThem() throws IOException {
        BundleWriter writer = new BundleWriter(new ByteArrayOutputStream());
        assertThatThrownBy(() -> writer.entry(chain.get(0))).isInstanceOf(IllegalStateException.class);
        writer.header(new BundleHeader("acme", 2, 3, "2026-11-21T18:30:00.000Z"));
        assertThatThrownBy(() -> writer.entry(chain.get(1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("anchor comes before");
        writer.key(CheckpointSigner.generate().key());
        writer.anchor(1, chain.get(0).hash());
        assertThatThrownBy(() -> writer.key(CheckpointSigner.generate().key())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> writer.anchor(1, chain.get(0).hash())).isInstanceOf(IllegalStateException.class);
        writer.entry(chain.get(1));
        assertThatThrownBy(() -> writer.header(new BundleHeader("acme", 1, 3, "x"))).isInstanceOf(IllegalStateException.class);
    }
}
