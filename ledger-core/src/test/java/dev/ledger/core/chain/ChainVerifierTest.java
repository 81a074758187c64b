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
                three.payload(), null, three.metadata(), three.prevHash(), Sha256.of(three.hash()));
        List<List<StoredEntry>> cases = List.of(chain, List.of(chain.get(0), chain.get(1), changed, chain.get(3)),
                List.of(chain.get(0), chain.get(2)));
        for (List<StoredEntry> entries : cases) {
            ChainVerifier byEntry = new ChainVerifier();
            ChainVerifier byHashes = new ChainVerifier();
            // and a worker's stepping, which keeps the last link itself and stops at the first break
            long lastSequence = 0;
            byte[] lastHash = EntryFraming.genesis();
            ChainVerifier.Break stepped = null;
            // when
            for (StoredEntry e : entries) {
                byEntry.accept(e);
                byHashes.accept(e.sequence(), e.prevHash(), e.hash(), e.recomputeHash());
                if (stepped == null) {
                    stepped = ChainVerifier.next(lastSequence, lastHash, e.sequence(), e.prevHash(),
                            java.util.Arrays.equals(e.recomputeHash(), e.hash()));
                    lastSequence = e.sequence();
                    lastHash = e.hash();
                }
            }
            // then
            assertThat(byHashes.firstBreak()).isEqualTo(byEntry.firstBreak());
            assertThat(stepped).isEqualTo(byEntry.firstBreak());
            assertThat(byHashes.checked()).isEqualTo(byEntry.checked());
            assertThat(byHashes.lastHash()).isEqualTo(byEntry.lastHash());
        }
    }
}
