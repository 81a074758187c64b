-- parked_from: the status a window was parked from (CLOSED: Stripe refused its event; DELIVERED: the ledger refused
-- its write-back), so an operator's retry puts it back exactly there. parked_at: when it was parked.
alter table meter_reader_window
    add column parked_from varchar(16),
    add column parked_at   timestamptz;

-- Windows parked before these columns: Stripe had the event exactly when reported_at was set.
update meter_reader_window set parked_from = case when reported_at is null then 'CLOSED' else 'DELIVERED' end
    where status = 'PARKED';
