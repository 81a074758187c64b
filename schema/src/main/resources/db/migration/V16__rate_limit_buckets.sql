-- The request-rate token buckets (Bucket4j, RateLimitFilter), shared by every ledger-api instance: a tenant's limit
-- holds across replicas instead of being multiplied by their number. One row per tenant and limit (the id names
-- both, so a changed limit starts a new bucket); Bucket4j's own serialized state; expires_at (epoch milliseconds) lets
-- expired rows of idle tenants be removed. Mutable state, not history: no append-only trigger.
create table rate_limit_bucket (
    id         varchar(160) collate "C" primary key,
    state      bytea,
    expires_at bigint
);
grant select, insert, update, delete on rate_limit_bucket to ledger_app;
