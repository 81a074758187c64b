package dev.ledger.api.chain;

import dev.ledger.core.trace.RequestId;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.chain.Sha256;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.axonframework.common.DateTimeUtils;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventsourcing.eventstore.jdbc.EventSchema;
import org.axonframework.eventsourcing.eventstore.jdbc.statements.AppendEventsStatementBuilder;
import org.axonframework.eventsourcing.eventstore.jdbc.statements.TimestampWriter;
import org.axonframework.serialization.SerializedObject;
import org.axonframework.serialization.Serializer;
import org.springframework.http.HttpStatus;

/**
 * Axon's append, with each entry's chain link (prev_hash, hash) computed from the exact bytes being stored and
 * written in the same row, hence the same transaction. The rows go out as binary COPY, the key rows first, then the
 * entries: one round trip each per batch (measured against pgjdbc's rewritten multi-row INSERT: docs/scaling.md). A fork cannot commit: the row for (tenant, sequence)
 * is unique, so a writer that linked to a stale head fails and Axon retries the command on fresh state.
 */
public final class ChainedAppend implements AppendEventsStatementBuilder {

    static final String COPY_ENTRIES = "copy domain_event_entry (event_identifier, aggregate_identifier, sequence_number,"
            + " type, time_stamp, payload_type, payload_revision, payload, meta_data, prev_hash, entry_hash, request_id)"
            + " from stdin (format binary)";
    static final String COPY_KEYS = "copy idempotency_record (tenant_id, idempotency_key, request_digest, sequence)"
            + " from stdin (format binary)";
    /** Upper bound of each statement and idle pause of an append transaction. */
    static final int APPEND_BOUND_SECONDS = 5;
    private final int maxEntryBytes;
    private final long transactionTimeoutMillis;

    /**
     * @param maxEntryBytes      largest payload + metadata an entry may be stored with
     * @param transactionTimeout bound of the append transaction from its first insert to its end
     */
    public ChainedAppend(int maxEntryBytes, java.time.Duration transactionTimeout) {
        this.maxEntryBytes = maxEntryBytes;
        this.transactionTimeoutMillis = transactionTimeout.toMillis();
    }
    private static final String HEAD = "select entry_hash from domain_event_entry where aggregate_identifier = ? and sequence_number = ?";

    @Override
    public PreparedStatement build(Connection connection, EventSchema schema, Class<?> dataType,
                                   List<? extends EventMessage<?>> events, Serializer serializer, TimestampWriter timestampWriter)
            throws SQLException {
        bound(connection);
        UniqueKeys keys = new UniqueKeys();
        Map<String, byte[]> heads = new HashMap<>();
        BinaryCopy rows = new BinaryCopy(COPY_ENTRIES, 12);
        for (EventMessage<?> event : events) {
            if (!(event instanceof DomainEventMessage<?> entry)) {
                throw new IllegalStateException("only tenant chain entries may be stored, not " + event.getPayloadType());
            }
            String tenant = entry.getAggregateIdentifier();
            long sequence = entry.getSequenceNumber() + 1;
            byte[] prev = heads.get(tenant);
            if (prev == null) {
                prev = head(connection, tenant, sequence - 1);
            }
            SerializedObject<byte[]> payload = entry.serializePayload(serializer, byte[].class);
            // the request id rides along to its own column: it is not part of what the chain commits to
            Object requestId = entry.getMetaData().get(RequestId.METADATA_KEY);
            SerializedObject<byte[]> metadata = requestId == null ? entry.serializeMetaData(serializer, byte[].class)
                    : serializer.serialize(entry.getMetaData().withoutKeys(java.util.Set.of(RequestId.METADATA_KEY)), byte[].class);
            limit(payload.getData().length + (long) metadata.getData().length);
            String recordedAt = DateTimeUtils.formatInstant(entry.getTimestamp());
            String type = payload.getType().getName();
            String revision = payload.getType().getRevision();
            byte[] hash = EntryFraming.hash(tenant, sequence, entry.getIdentifier(), type, revision, recordedAt,
                    Sha256.of(payload.getData()), Sha256.of(metadata.getData()), prev);
            heads.put(tenant, hash);
            ChainLinks.remember(tenant, sequence, new ChainLinks.Link(prev, hash, recordedAt));

            rows.row().text(entry.getIdentifier()).text(tenant).bigint(entry.getSequenceNumber()).text(entry.getType())
                    .text(recordedAt).text(type).text(revision).bytes(payload.getData()).bytes(metadata.getData())
                    .bytes(prev).bytes(hash).text(requestId instanceof String id && RequestId.valid(id) ? id : null);
            keys.add(entry, tenant, sequence);
        }
        keys.write(connection);
        rows.copyIn(connection);
        // Axon runs the returned statement's batch: everything is written already, so it is an empty one
        return connection.prepareStatement(HEAD);
    }

    /**
     * The idempotency key of the request an entry came from, and its entity key (evaluation_id, usage_id), written in
     * the append's own transaction and batch: a duplicate fails the append, never check-then-insert.
     */
    private static final class UniqueKeys {
        private final java.util.List<Object[]> rows = new java.util.ArrayList<>();

        void add(DomainEventMessage<?> entry, String tenant, long sequence) {
            String digest = (String) entry.getMetaData().get(LedgerWriter.REQUEST_DIGEST);
            Object key = entry.getMetaData().get(LedgerWriter.IDEMPOTENCY_KEY);
            Object entity = entry.getMetaData().get(LedgerWriter.ENTITY_KEY);
            if (key != null) {
                rows.add(new Object[] {tenant, LedgerWriter.CLIENT_KEY_PREFIX + key, Hex.parse(digest), sequence});
            }
            if (entity != null) {
                rows.add(new Object[] {tenant, entity, Hex.parse(digest), sequence});
            }
        }

        void write(Connection connection) throws SQLException {
            if (rows.isEmpty()) {
                return;
            }
            BinaryCopy copy = new BinaryCopy(COPY_KEYS, 4);
            for (Object[] r : rows) {
                copy.row().text((String) r[0]).text((String) r[1]).bytes((byte[]) r[2]).bigint((Long) r[3]);
            }
            copy.copyIn(connection);
        }
    }

    /**
     * Every entry, whatever its type, is stored here and only here: one that would be stored larger than the limit is
     * refused before anything is written, so it can never become a record Kafka refuses.
     */
    private void limit(long storedBytes) {
        if (storedBytes > maxEntryBytes) {
            throw new ApiProblem(HttpStatus.PAYLOAD_TOO_LARGE, "entry_too_large", "The entry would be stored as " + storedBytes
                    + " bytes; at most " + maxEntryBytes + " bytes are accepted. Nothing was recorded.");
        }
    }

    /**
     * From the moment an entry takes its global index until commit, a tracking reader sees a gap. PostgreSQL ends
     * this transaction (and its session) once it outlives the bound from here on, and bounds every statement and idle
     * moment of it, so a taken index is committed or gone within the bound, well inside the publisher's gap timeout
     * and gap offset ({@link EventStoreConfig.GapBounds}): no committed entry can be skipped by the Kafka publisher.
     */
    private void bound(Connection connection) throws SQLException {
        try (java.sql.Statement s = connection.createStatement()) {
            s.execute("set local transaction_timeout = '" + transactionTimeoutMillis + "ms'; set local statement_timeout = '"
                    + APPEND_BOUND_SECONDS + "s'; set local idle_in_transaction_session_timeout = '" + APPEND_BOUND_SECONDS + "s'");
        }
    }

    private static byte[] head(Connection connection, String tenant, long sequence) throws SQLException {
        if (sequence == 0) {
            return EntryFraming.genesis();
        }
        try (PreparedStatement select = connection.prepareStatement(HEAD)) {
            select.setString(1, tenant);
            select.setLong(2, sequence - 1);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("chain of " + tenant + " has no entry " + sequence + " to link to", "23505");
                }
                return rs.getBytes(1);
            }
        }
    }
}
