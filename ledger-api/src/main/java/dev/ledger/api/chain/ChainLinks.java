package dev.ledger.api.chain;

import java.util.HashMap;
import java.util.Map;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;

/**
 * The links the storage layer computed while appending, handed back to the writer so a receipt needs no second
 * read. Keyed by (tenant, sequence); lives in the append's unit of work.
 */
public final class ChainLinks {

    /** The committed link of one entry, as the receipt shows it. */
    public record Link(byte[] prevHash, byte[] hash, String recordedAt) {
    }

    static final String RESOURCE = ChainLinks.class.getName();

    private ChainLinks() {
    }

    static void remember(String tenant, long sequence, Link link) {
        CurrentUnitOfWork.ifStarted(uow -> uow.root().<Map<String, Link>>getOrComputeResource(RESOURCE, k -> new HashMap<>())
                .put(key(tenant, sequence), link));
    }

    static String key(String tenant, long sequence) {
        return tenant + '\u0000' + sequence;
    }
}
