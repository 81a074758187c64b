package dev.ledger.api.chain;

import dev.ledger.api.auth.Caller;
import java.util.List;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** What the operator needs to see of publication: the entries Kafka refused and the publisher parked. */
@RestController
public class PublicationController {

    private final ParkedEntries parked;

    public PublicationController(ParkedEntries parked) {
        this.parked = parked;
    }

    @GetMapping("/v1/admin/publication/parked")
    public Map<String, Object> parked(Caller caller) {
        caller.requireAdmin();
        List<ParkedEntries.Parked> list = parked.list();
        parked.refresh();
        return Map.of("parked", list, "count", parked.count());
    }
}
