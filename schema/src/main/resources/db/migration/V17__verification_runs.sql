-- Verification runs (POST /v1/tenants/{t}/verification-runs), readable from every ledger-api instance: the instance
-- running one writes its progress here (at most every half second) and its end; any instance answers GET from it.
-- Mutable state kept 15 minutes after a run ends, not history: the verdict itself is an entry of the chain.
create table verification_run (
    run_id         varchar(40) collate "C" primary key,
    tenant_id      varchar(64) collate "C" not null,
    started_at     timestamptz not null,
    updated_at     timestamptz not null,
    finished_at    timestamptz,
    range_from     bigint      not null default 0,
    range_to       bigint      not null default 0,
    checked        bigint      not null default 0,
    verdict        text,
    failure_status integer,
    failure_code   varchar(64),
    failure_detail text
);
create index verification_run_finished on verification_run (finished_at);
grant select, insert, update, delete on verification_run to ledger_app;
