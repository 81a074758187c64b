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

    /** The binary members are written as Jackson's own base64 writer writes them, whatever the length's padding. */
    @Test
    void binaryMembersAreJacksonsBase64ForEveryLength() throws Exception {
        StoredEntry base = ChainFixture.chain("t-codec", 1).get(0);
        java.util.Random random = new java.util.Random(7);
        for (int length = 0; length <= 70; length++) {
            byte[] bytes = new byte[length];
            random.nextBytes(bytes);
            StoredEntry e = new StoredEntry(base.tenantId(), base.sequence(), base.eventId(), base.type(), base.revision(),
                    base.recordedAt(), bytes, null, bytes, base.prevHash(), base.hash());
            var tree = LedgerJson.mapper().readTree(EntryCodec.encode(e));
            String expected = com.fasterxml.jackson.core.Base64Variants.getDefaultVariant().encode(bytes);
            assertThat(tree.get("payload_b64").asText()).isEqualTo(expected);
            assertThat(tree.get("metadata_b64").asText()).isEqualTo(expected);
            assertThat(EntryCodec.decode(EntryCodec.encode(e)).payload()).isEqualTo(bytes);
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
