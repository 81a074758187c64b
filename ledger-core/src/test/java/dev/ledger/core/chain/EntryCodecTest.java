package dev.ledger.core.chain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.messages.LedgerJson;
import org.junit.jupiter.api.Test;

class EntryCodecTest {

    @Test
    void theStreamedRecordIsTheTreeRecordByteForByteAndDecodesToTheSameStoredBytes() throws Exception {
        for (StoredEntry e : ChainFixture.chain("t-codec", 5)) {
            byte[] streamed = EntryCodec.encode(e);
            assertThat(streamed).isEqualTo(LedgerJson.mapper().writeValueAsBytes(EntryCodec.toJson(e)));
            StoredEntry back = EntryCodec.decode(streamed);
            assertThat(back.payload()).isEqualTo(e.payload());
            assertThat(back.metadata()).isEqualTo(e.metadata());
            assertThat(back.recomputeHash()).isEqualTo(e.hash());
        }
    }

    @Test
    void theByteScanningPathReadsExactlyWhatTheParserReads() throws Exception {
        for (StoredEntry e : ChainFixture.chain("t-codec", 20)) {
            byte[] record = EntryCodec.encode(e);
            StoredEntry fast = EntryCodec.Canonical.read(record);
            assertThat(fast).isNotNull();
            StoredEntry slow = EntryCodec.decodeAny(record);
            assertThat(fast).isEqualTo(slow);
            assertThat(fast.payload()).isEqualTo(slow.payload());
            assertThat(fast.metadata()).isEqualTo(slow.metadata());
            assertThat(fast.prevHash()).isEqualTo(slow.prevHash());
            assertThat(fast.revision()).isEqualTo(slow.revision());
            assertThat(fast.recordedAt()).isEqualTo(slow.recordedAt());
        }
    }

    @Test
    void recordsInAnyOtherSpellingStillDecodeThroughTheParser() throws Exception {
        StoredEntry e = ChainFixture.chain("t-codec", 1).get(0);
        // an escaped character, whitespace, and another member order: none is the canonical form
        StoredEntry quoted = new StoredEntry(e.tenantId(), e.sequence(), "id\"with\\escapesé", e.type(), null, e.recordedAt(),
                e.payload(), null, e.metadata(), e.prevHash(), e.hash());
        byte[] escaped = EntryCodec.encode(quoted);
        assertThat(EntryCodec.Canonical.read(escaped)).isNull();
        assertThat(EntryCodec.decode(escaped).eventId()).isEqualTo("id\"with\\escapesé");
        assertThat(EntryCodec.decode(escaped).revision()).isNull();
        String spaced = LedgerJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(EntryCodec.toJson(e));
        assertThat(EntryCodec.Canonical.read(spaced.getBytes())).isNull();
        assertThat(EntryCodec.decode(spaced.getBytes()).recomputeHash()).isEqualTo(e.hash());
        // a corrupt base64 member is refused, not read as something else
        String broken = new String(EntryCodec.encode(e)).replaceFirst("\"metadata_b64\":\"", "\"metadata_b64\":\"*");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> EntryCodec.decode(broken.getBytes()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decodingIgnoresMembersItDoesNotKnowAndRefusesARecordWithoutItsHash() {
        StoredEntry e = ChainFixture.chain("t-codec", 1).get(0);
        var node = EntryCodec.toJson(e);
        node.put("added_later", "x");
        node.putObject("nested").put("a", 1);
        assertThat(EntryCodec.decode(node.toString().getBytes()).recomputeHash()).isEqualTo(e.hash());
        node.remove("hash");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> EntryCodec.decode(node.toString().getBytes()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hash");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> EntryCodec.decode("[1]".getBytes()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRedactedEntryTravelsWithItsPayloadDigestAndStillVerifies() {
        StoredEntry e = ChainFixture.chain("t-codec", 1).get(0);
        StoredEntry redacted = new StoredEntry(e.tenantId(), e.sequence(), e.eventId(), e.type(), e.revision(), e.recordedAt(), null,
                Sha256.of(e.payload()), e.metadata(), e.prevHash(), e.hash());
        StoredEntry back = EntryCodec.decode(EntryCodec.encode(redacted));
        assertThat(back.payload()).isNull();
        assertThat(back.recomputeHash()).isEqualTo(e.hash());
    }
}
