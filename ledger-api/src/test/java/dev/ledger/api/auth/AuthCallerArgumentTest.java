package dev.ledger.api.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.api.web.ApiProblem;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.context.request.ServletWebRequest;

/** A handler that takes a Caller never meets a missing one: it answers 401 instead. */
class AuthCallerArgumentTest {

    @Test
    void givenARequestNobodyAuthenticatedWhenAHandlerAsksForTheCallerThenItIsRefused401() {
        CallerArgument resolver = new CallerArgument();
        assertThatThrownBy(() -> resolver.resolveArgument(null, null, new ServletWebRequest(new MockHttpServletRequest()), null))
                .isInstanceOfSatisfying(ApiProblem.class, p -> {
                    assertThat(p.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
                    assertThat(p.code()).isEqualTo("unauthenticated");
                });
    }

    @Test
    void givenAnAuthenticatedRequestThenTheHandlerGetsItsCaller() {
        MockHttpServletRequest request = new MockHttpServletRequest();
        Caller caller = new Caller(Caller.Kind.ADMIN, "admin", null, EnumSet.allOf(Scope.class));
        request.setAttribute(Caller.ATTRIBUTE, caller);
        assertThat(new CallerArgument().resolveArgument(null, null, new ServletWebRequest(request), null)).isSameAs(caller);
    }

    @Test
    void thePublicPathsAreExactlyTheDocumentedOnes() {
        assertThat(AuthFilter.isPublic("/v1/checkpoint-keys")).isTrue();
        assertThat(AuthFilter.isPublic("/v1/checkpoint-keys/x")).isFalse();
        assertThat(AuthFilter.isPublic("/v1/tenants")).isFalse();
        assertThat(AuthFilter.isPublic("/actuator/health/liveness")).isTrue();
        assertThat(AuthFilter.isPublic("/actuator/env")).isFalse();
        assertThat(AuthFilter.isPublic("/error")).isFalse();
    }
}
