-- The id of the HTTP request an entry came from (X-Request-Id, RequestId), for the publisher to copy into the entry's
-- Kafka record header and so into the workers' log lines. Beside the entry, not in its hashed metadata: what the chain
-- commits to stays what the write path decided (who, and the keys that make a retry safe), never a correlation id.
-- Written with the row, never changed (the append-only trigger guards it with the rest of the row).
alter table domain_event_entry add column request_id varchar(64);
