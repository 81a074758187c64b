-- The reconciliation pass (issue 14): how far the worker has read Stripe's event list. Each pass lists the invoice
-- events created since its last complete pass (less a margin) and submits those the chain does not hold yet.
create table invoice_worker_reconcile_pass (
    id           boolean     primary key default true check (id),
    listed_from  timestamptz not null,
    pass_started timestamptz not null  -- when the last complete pass started
);

-- "is this Stripe event in the chain already?" by event id alone
create index invoice_worker_invoice_event_event_id on invoice_worker_invoice_event (event_id);

revoke all on invoice_worker_reconcile_pass from public;
grant select, insert, update, delete on invoice_worker_reconcile_pass to invoice_worker_app;
