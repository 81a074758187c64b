-- Records deleted by the topic's retention before this worker read them (issue 11, item 11): per partition, the
-- offsets [lost_from, lost_to) it never saw. A tenant whose first record read after such a loss is ahead of its
-- position (retention_gap) waits for entries that can never arrive: it stops as records_lost_to_retention, not as a
-- broken chain.
create table meter_reader_retention_loss (
    topic      varchar(255) not null,
    partition  integer      not null,
    lost_from  bigint       not null,
    lost_to    bigint       not null,
    noticed_at timestamptz  not null,
    primary key (topic, partition, lost_from)
);
alter table meter_reader_tenant
    add column retention_gap boolean not null default false;
