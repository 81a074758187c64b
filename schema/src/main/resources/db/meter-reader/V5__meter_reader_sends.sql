-- Sends recorded before Stripe calls (issue 11, item 13): Stripe dedupes an identifier for about 24 hours only.
-- first_sent_at: before the first call (fixes the event's timestamp for every later send); sent_at: before the call
-- that opened Stripe's current identifier window. A window whose sent_at is older than the reconcile age is checked
-- against Stripe's meter event summaries before it is sent again.
-- last_sequence: the tenant's last sequence when units were last added to the window (at least the window's last
-- entry): with METER_READER_REQUIRE_CHECKPOINT a window is sent only once a signed checkpoint covers it.
alter table meter_reader_window
    add column first_sent_at timestamptz,
    add column sent_at       timestamptz,
    add column last_sequence bigint;
