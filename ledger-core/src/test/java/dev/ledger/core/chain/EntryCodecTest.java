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
    void aRedactedEntryTravelsWithItsPayloadDigestAndStillVerifies() {
        StoredEntry e = ChainFixture.chain("t-codec", 1).get(0);
        StoredEntry redacted = new StoredEntry(e.tenantId(), e.sequence(), e.eventId(), e.type(), e.revision(), e.recordedAt(), null,
                EntryFraming.sha256(e.payload()), e.metadata(), e.prevHash(), e.hash());
        StoredEntry back = EntryCodec.decode(EntryCodec.encode(redacted));
        assertThat(back.payload()).isNull();
        assertThat(back.recomputeHash()).isEqualTo(e.hash());
    }
}
