/** Facts about billing the ledger witnesses: Stripe invoices checked against the chain, or held back. */
package dev.ledger.core.billing;
