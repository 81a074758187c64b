-- Read model of tenants, kept in the same transaction as the entries that change it.
create table tenant (
    tenant_id          varchar(64) collate "C" primary key,
    name               varchar(200) not null,
    status             varchar(16)  not null,
    stripe_customer_id varchar(255),
    created_at         timestamptz  not null
);

-- API keys: only a salted hash of the secret is stored. tenant_id is null for service keys.
create table api_key (
    key_id      varchar(32) collate "C" primary key,
    tenant_id   varchar(64) collate "C" references tenant (tenant_id),
    secret_hash bytea        not null,
    scopes      varchar(255) not null,
    created_at  timestamptz  not null,
    revoked_at  timestamptz
);
create index api_key_tenant on api_key (tenant_id);
