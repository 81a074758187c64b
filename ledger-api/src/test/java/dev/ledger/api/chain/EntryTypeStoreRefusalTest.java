package dev.ledger.api.chain;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What ledger-api says when it refuses a store it cannot read: the entry, its type, the problem and the remedy. */
class EntryTypeStoreRefusalTest {

    @Test
    void givenAClassNameAsType_thenTheRefusalNamesChainFormatOneAndANewDatabase() {
        assertThat(StoreFormatCheck.refusal("acme", 1, "dev.ledger.core.tenant.TenantRegistered"))
                .startsWith("ledger-api refuses to start: the event store is in chain format 1, not chain format 2 (docs/chain.md):"
                        + " entry 1 of chain acme is stored with type \"dev.ledger.core.tenant.TenantRegistered\", a Java class name")
                .contains("start this ledger on a new, empty database");
    }

    @Test
    void givenATypeThisLedgerDoesNotKnow_thenTheRefusalSaysSoAndNamesNoFormat() {
        assertThat(StoreFormatCheck.refusal("acme", 7, "SomethingFromTheFuture"))
                .isEqualTo("ledger-api refuses to start: entry 7 of chain acme is stored with type \"SomethingFromTheFuture\", an entry"
                        + " type this ledger does not know (written by a newer ledger-api?), so it cannot replay that chain correctly:"
                        + " run a ledger-api that knows the type.");
    }
}
