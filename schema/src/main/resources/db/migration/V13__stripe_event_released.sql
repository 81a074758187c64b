-- A held Stripe event is released once a tenant owns its customer (linked later, or registered with it): it is then
-- recorded in that tenant's chain, in the order the events were received, and its row says where. The row stays:
-- the holding table is the record of what waited and why.
alter table stripe_event_held
    add column released_tenant   varchar(64),
    add column released_sequence bigint,
    add column released_at       timestamptz;

grant update (released_tenant, released_sequence, released_at) on stripe_event_held to ledger_app;
