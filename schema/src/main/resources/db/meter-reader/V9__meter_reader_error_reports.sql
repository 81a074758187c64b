-- Stripe's meter error reports (v2 events v1.billing.meter.error_report_triggered and v1.billing.meter.no_meter_found)
-- the meter-reader has read: each once, with how many refused events it reported and how many windows it parked.
create table meter_reader_error_report (
    event_id varchar(255) collate "C" primary key,
    created  timestamptz  not null,
    refused  bigint       not null check (refused >= 0),
    parked   integer      not null check (parked >= 0),
    read_at  timestamptz  not null
);
create index meter_reader_error_report_created on meter_reader_error_report (created);

revoke all on table meter_reader_error_report from public;
grant select, insert, update, delete on table meter_reader_error_report to meter_reader_app;
