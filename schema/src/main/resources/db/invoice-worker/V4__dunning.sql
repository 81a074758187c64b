-- Dunning: the invoice-worker moves a tenant ACTIVE -> PAST_DUE -> SUSPENDED -> ACTIVE through the ledger's API, from
-- the invoice projection and the tenant's own chain. Nothing here is the tenant's status of record (that is the
-- chain); these tables are the worker's view of it and its work list.

-- Each tenant's status as its chain shows it, written by the follower in the poll's transaction: the entry that set
-- it (the registration or the last status change), and billing's cause when that entry has one.
create table invoice_worker_tenant_status (
    tenant_id        varchar(64)  collate "C" primary key,
    status           varchar(16)  not null check (status in ('ACTIVE', 'PAST_DUE', 'SUSPENDED')),
    status_sequence  bigint       not null,
    cause_event_id   varchar(255) collate "C",
    cause_invoice_id varchar(255) collate "C",
    grace_until      timestamptz
);

-- Invoices billing has marked a tenant past due for: a failed invoice is dunned once, so an admin who reactivates
-- a tenant with it still unpaid is not overruled by the worker.
create table invoice_worker_dunned_invoice (
    tenant_id  varchar(64)  collate "C" not null,
    invoice_id varchar(255) collate "C" not null,
    sequence   bigint       not null,
    primary key (tenant_id, invoice_id)
);

-- Tenants whose dunning is to be decided again (an invoice event or a status entry arrived, or a grace period
-- ended); the dunning pass takes them, and keeps one whose change the ledger could not record yet.
create table invoice_worker_dunning_pending (
    tenant_id varchar(64) collate "C" primary key,
    since     timestamptz not null,
    -- raised by every new mark: a pass removes the row only if no mark came in while it decided
    version   bigint      not null
);

-- db-scheduler's table (its PostgreSQL definition for 16.x): the grace-period deadlines, one execution per tenant
-- and past-due entry, and the recurring dunning pass, persistent across restarts and taken by one worker at a time.
create table invoice_worker_scheduled_tasks (
    task_name            text        not null,
    task_instance        text        not null,
    task_data            bytea,
    execution_time       timestamptz not null,
    picked               boolean     not null,
    picked_by            text,
    last_success         timestamptz,
    last_failure         timestamptz,
    consecutive_failures int,
    last_heartbeat       timestamptz,
    version              bigint      not null,
    priority             smallint,
    primary key (task_name, task_instance)
);
create index invoice_worker_scheduled_tasks_execution_time on invoice_worker_scheduled_tasks (execution_time);
create index invoice_worker_scheduled_tasks_last_heartbeat on invoice_worker_scheduled_tasks (last_heartbeat);
create index invoice_worker_scheduled_tasks_priority on invoice_worker_scheduled_tasks (priority desc, execution_time asc);

revoke all on invoice_worker_tenant_status, invoice_worker_dunned_invoice, invoice_worker_dunning_pending,
    invoice_worker_scheduled_tasks from public;
grant select, insert, update, delete on invoice_worker_tenant_status, invoice_worker_dunned_invoice,
    invoice_worker_dunning_pending, invoice_worker_scheduled_tasks to invoice_worker_app;
