package dev.ledger.api.chain;

import dev.ledger.api.auth.Caller;
import dev.ledger.api.web.ProblemCodes;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** What the operator needs to see of publication: the entries Kafka refused and the publisher parked. */
@RestController
@Tag(name = "Operations")
public class PublicationController {

    private final ParkedEntries parked;

    public PublicationController(ParkedEntries parked) {
        this.parked = parked;
    }

    @Operation(summary = "List the entries parked by the publisher", operationId = "listParkedEntries",
            description = "Admin key. Entries Kafka refused (e.g. a record larger than the topic takes), kept unpublished.")
    @ApiResponse(responseCode = "200", description = "The parked entries (at most 1,000) and their count",
            content = @Content(schema = @Schema(ref = "#/components/schemas/ParkedEntries")))
    @ProblemCodes("admin_only")
    @GetMapping("/v1/admin/publication/parked")
    public Map<String, Object> parked(Caller caller) {
        caller.requireAdmin();
        List<ParkedEntries.Parked> list = parked.list();
        parked.refresh();
        return Map.of("parked", list, "count", parked.count());
    }
}
