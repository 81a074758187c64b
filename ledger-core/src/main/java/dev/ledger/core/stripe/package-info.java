/** Facts the ledger records about Stripe: the signed events it received, per tenant. */
package dev.ledger.core.stripe;
