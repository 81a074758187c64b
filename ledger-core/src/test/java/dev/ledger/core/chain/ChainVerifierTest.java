package dev.ledger.core.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChainVerifierTest {

    private final List<StoredEntry> chain = ChainFixture.chain("acme", 5);

    @Test
    void givenHashesRecomputedElsewhereWhenFedThenTheVerdictsAreThoseOfTheEntriesThemselves() {
        // given a valid chain, one with entry 3's stored hash changed, and one with entry 2 missing
        StoredEntry three = chain.get(2);
        StoredEntry changed = new StoredEntry(three.tenantId(), 3, three.eventId(), three.type(), three.revision(), three.recordedAt(),
                three.payload(), null, three.metadata(), three.prevHash(), EntryFraming.sha256(three.hash()));
        List<List<StoredEntry>> cases = List.of(chain, List.of(chain.get(0), chain.get(1), changed, chain.get(3)),
                List.of(chain.get(0), chain.get(2)));
        for (List<StoredEntry> entries : cases) {
            ChainVerifier byEntry = new ChainVerifier();
            ChainVerifier byHashes = new ChainVerifier();
            // when
            for (StoredEntry e : entries) {
                byEntry.accept(e);
                byHashes.accept(e.sequence(), e.prevHash(), e.hash(), e.recomputeHash());
            }
            // then
            assertThat(byHashes.firstBreak()).isEqualTo(byEntry.firstBreak());
            assertThat(byHashes.checked()).isEqualTo(byEntry.checked());
            assertThat(byHashes.lastHash()).isEqualTo(byEntry.lastHash());
        }
    }
}
