-- The tenant's partition: only the instance that consumes it closes and reports that tenant's windows.
-- closed_through: every window of the tenant ending at or before it is closed; later entries never land there.
-- customer_wanted: registered without a Stripe customer, so the worker creates one and links it back.
alter table meter_reader_tenant
    add column kafka_partition integer,
    add column closed_through  timestamptz,
    add column tenant_name     varchar(255),
    add column customer_wanted boolean not null default false;

-- next_attempt_at: jittered backoff after a failed Stripe or write-back call, shared by all instances.
alter table meter_reader_window
    add column next_attempt_at timestamptz,
    add column written_back_at timestamptz;

-- Entries that arrived ahead of a missing sequence, kept (with the offsets committed past them) until the gap
-- fills or the bounded wait runs out and the tenant is marked broken.
create table meter_reader_held_entry (
    tenant_id  varchar(64) collate "C" not null,
    sequence   bigint      not null,
    entry      bytea       not null,
    held_since timestamptz not null,
    primary key (tenant_id, sequence)
);
