package dev.ledger.api.web;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The problem {@code code}s a handler answers besides those every operation shares (a non-canonical path; without a
 * key or over the rate limit; a body too large, malformed or with unknown members): the OpenAPI document lists each
 * under its HTTP status as an application/problem+json response with an example. docs/api.md is the contract that
 * names them.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface ProblemCodes {

    /** Codes of the ledger's problem catalogue ({@code OpenApiConfig}), e.g. {@code "tenant_exists"}. */
    String[] value();
}
