package dev.ledger.api.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.swagger.v3.core.jackson.ModelResolver;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The OpenAPI 3 document at /v3/api-docs, generated from the controllers. */
@Configuration
class OpenApiConfig {

    /** Schemas follow the one JSON configuration (snake_case), not swagger's own mapper. */
    @Bean
    ModelResolver modelResolver(ObjectMapper json) {
        return new ModelResolver(json);
    }

    @Bean
    OpenAPI ledgerOpenApi() {
        return new OpenAPI()
                .info(new Info().title("Ledger HTTP API").version("v1")
                        .description("Append-only, hash-chained audit and billing ledger. snake_case JSON, RFC 3339 UTC times, "
                                + "money in minor units. Errors are RFC 9457 application/problem+json with a stable `code`."))
                .components(new Components().addSecuritySchemes("bearer", new SecurityScheme().type(SecurityScheme.Type.HTTP)
                        .scheme("bearer").description("lk_<key_id>_<secret>, or the admin key")))
                .addSecurityItem(new SecurityRequirement().addList("bearer"));
    }
}
