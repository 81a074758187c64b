package dev.ledger.api.chain;

import dev.ledger.core.tenant.AppendOutcome;
import java.util.List;
import java.util.Map;

/**
 * What an AppendEntries command answers once committed: the aggregate's outcome per item and the links the storage
 * layer wrote for the appended ones (filled after commit, before the caller sees it).
 */
public final class AppendResult {

    private final List<AppendOutcome> outcomes;
    private volatile Map<String, ChainLinks.Link> links = Map.of();

    AppendResult(List<AppendOutcome> outcomes) {
        this.outcomes = outcomes;
    }

    void committed(Map<String, ChainLinks.Link> links) {
        this.links = links == null ? Map.of() : links;
    }

    public List<AppendOutcome> outcomes() {
        return outcomes;
    }

    public ChainLinks.Link link(String tenant, long sequence) {
        return links.get(ChainLinks.key(tenant, sequence));
    }
}
