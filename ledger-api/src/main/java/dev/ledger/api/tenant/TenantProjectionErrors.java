package dev.ledger.api.tenant;

import org.axonframework.config.ConfigurerModule;
import org.axonframework.eventhandling.PropagatingErrorHandler;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration
class TenantProjectionErrors {

    /** A projection failure must fail the append it belongs to, never be logged and skipped. */
    @Bean
    ConfigurerModule projectionErrorsFailTheAppend() {
        return configurer -> configurer.eventProcessing().registerListenerInvocationErrorHandler(TenantProjection.GROUP,
                c -> PropagatingErrorHandler.instance());
    }
}
