-- Stripe events whose signature ledger-api verified but that no single tenant owns (no customer, a customer linked to
-- no tenant or to several, or an event too large for an entry): kept as received, once per event id, never dropped,
-- listed by GET /v1/webhooks/stripe/held. Events a tenant owns are entries of its chain instead (StripeEventRecorded).
create table stripe_event_held (
    event_id    varchar(255) primary key,
    event_type  varchar(255) not null,
    customer_id varchar(255),
    reason      varchar(64)  not null,
    event       bytea        not null,
    received_at timestamptz  not null
);

grant select, insert on stripe_event_held to ledger_app;
grant select on stripe_event_held to ledger_auditor;
