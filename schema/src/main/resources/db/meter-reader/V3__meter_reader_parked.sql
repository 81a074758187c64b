-- parked_from: the status a window was parked from (CLOSED: Stripe refused its event; DELIVERED: the ledger refused
-- its write-back), so an operator's retry puts it back exactly there. parked_at: when it was parked. Both stay null
-- for windows parked before (the worker derives parked_from from reported_at then).
alter table meter_reader_window
    add column parked_from varchar(16),
    add column parked_at   timestamptz;
