-- Witnessed and held Stripe invoices (issue 14): one row per tenant and invoice, with the answer the witness gave,
-- so a repeated request answers the same; the latest witnessed row is where the next invoice's consistency proof
-- starts. The entries themselves (InvoiceWitnessed, InvoiceHeld) are in the tenant's chain.
create table invoice_witness (
    tenant_id  varchar(64)  collate "C" not null,
    invoice_id varchar(255) collate "C" not null,
    verdict    varchar(16)  not null check (verdict in ('witnessed', 'held')),
    size       bigint       check (size >= 1),
    root_hash  bytea        check (octet_length(root_hash) = 32),
    sequence   bigint       not null,
    answer     text         not null,
    created_at timestamptz  not null default now(),
    primary key (tenant_id, invoice_id),
    check ((verdict = 'witnessed') = (size is not null and root_hash is not null))
);
create index invoice_witness_latest on invoice_witness (tenant_id, size) where verdict = 'witnessed';

grant select, insert on invoice_witness to ledger_app;
grant select on invoice_witness to ledger_auditor;
