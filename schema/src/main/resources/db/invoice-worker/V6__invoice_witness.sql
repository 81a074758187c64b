-- The witness (issue 14): each draft subscription invoice the worker witnessed or held, what the ledger answered, and
-- whether Stripe's invoice carries it yet (ledger_checkpoint in its metadata, or auto_advance=false for a hold).
create table invoice_worker_witness (
    invoice_id        varchar(255) collate "C" primary key,
    tenant_id         varchar(64)  collate "C" not null,
    verdict           varchar(16)  not null check (verdict in ('witnessed', 'held')),
    reason            varchar(32),
    detail            varchar(1000),
    ledger_checkpoint varchar(500),
    ledger_sequence   bigint       not null,
    stripe_done       boolean      not null default false,
    decided_at        timestamptz  not null,
    check ((verdict = 'witnessed') = (ledger_checkpoint is not null))
);
create index invoice_worker_witness_held on invoice_worker_witness (verdict) where verdict = 'held';

revoke all on invoice_worker_witness from public;
grant select, insert, update on invoice_worker_witness to invoice_worker_app;
