package dev.ledger.api.auth;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Who a key is: what a console asks once at sign-in to know which pages and tenants to offer. */
@RestController
@Tag(name = "Tenants and keys")
class CallerController {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "The calling key: `kind` admin, tenant (bound to `tenant_id`) or service; its scopes (the admin key has every one)",
            example = """
            {"kind":"tenant","key_id":"k7Hq2","tenant_id":"acme","scopes":["audit:read","finance:read"]}""")
    record CallerView(@Schema(allowableValues = {"admin", "tenant", "service"}) String kind, String keyId, String tenantId,
                      List<String> scopes) {
    }

    @Operation(summary = "Read the calling key", operationId = "getCaller",
            description = "Any valid key. Names the key's kind, tenant and scopes; never its secret.")
    @ApiResponse(responseCode = "200", description = "The calling key")
    @GetMapping("/v1/caller")
    CallerView caller(Caller caller) {
        List<String> scopes = (caller.isAdmin() ? EnumSet.allOf(Scope.class) : caller.scopes()).stream()
                .map(Scope::wire).sorted().toList();
        return new CallerView(caller.kind().name().toLowerCase(Locale.ROOT), caller.isAdmin() ? null : caller.keyId(),
                caller.tenantId(), scopes);
    }
}
