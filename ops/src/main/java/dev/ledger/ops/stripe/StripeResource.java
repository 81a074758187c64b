package dev.ledger.ops.stripe;

import java.time.Instant;

/**
 * One Stripe resource of the emulator: it keeps its own state, declares its routes on the {@link Router} and renders
 * its own wire shapes. The router calls it under the emulator's one lock, so a resource needs no locking of its own.
 */
interface StripeResource {

    /** Declares this resource's routes, e.g. {@code router.post("/v1/customers", this::create)}. */
    void routes(Router router);

    /** Called before every call with the call's time: forget what Stripe forgets by then (identifiers, sessions). */
    default void expire(Instant now) {
    }
}
