package dev.ledger.api.finance;

import dev.ledger.api.auth.Caller;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.ProblemCodes;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/** The read models rebuilt from the event store on demand ({@code ./ledger replay PROJECTION}). Admin key only. */
@RestController
@Tag(name = "Operations")
public class ProjectionController {

    private final FinanceProjector finance;

    public ProjectionController(FinanceProjector finance) {
        this.finance = finance;
    }

    @Operation(summary = "The projections and how far behind they are", operationId = "listProjections",
            description = "Admin key. Each projection rebuilt on demand: `state` live or rebuilding, the entries it is behind "
                    + "the chains at its last pass, the entries this instance projected, and its last rebuild.")
    @ApiResponse(responseCode = "200", description = "The projections", content = @Content(mediaType = "application/json",
            schema = @Schema(type = "object", example = """
                    {"projections":[{"name":"finance","state":"live","behind_entries":0,"projected_entries":1000000,
                     "rebuild_started_at":null,"rebuilt_at":"2026-12-06T03:00:00Z","last_error":null}]}""")))
    @ProblemCodes({"admin_only"})
    @GetMapping("/v1/admin/projections")
    public Map<String, Object> list(Caller caller) {
        caller.requireAdmin();
        return Map.of("projections", List.of(finance.status()));
    }

    @Operation(summary = "Rebuild a projection from the event store", operationId = "rebuildProjection",
            description = "Admin key. Deletes the projection's rows and positions in one transaction and rebuilds them from "
                    + "every chain's first entry; its answers are incomplete until `state` is live again. `finance` is the one "
                    + "projection rebuilt this way.")
    @ApiResponse(responseCode = "202", description = "The rebuild started", content = @Content(mediaType = "application/json",
            schema = @Schema(type = "object", example = """
                    {"name":"finance","state":"rebuilding","behind_entries":0,"projected_entries":0,
                     "rebuild_started_at":"2026-12-06T03:00:00Z","rebuilt_at":null,"last_error":null}""")))
    @ProblemCodes({"admin_only", "not_found"})
    @PostMapping("/v1/admin/projections/{name}/rebuild")
    public ResponseEntity<Map<String, Object>> rebuild(Caller caller, @PathVariable String name) {
        caller.requireAdmin();
        if (!FinanceProjector.NAME.equals(name)) {
            throw ApiProblem.notFound("Projection " + name);
        }
        try {
            finance.rebuild();
        } catch (SQLException e) {
            throw new DataAccessResourceFailureException("the finance projection could not be cleared", e);
        }
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(finance.status());
    }
}
