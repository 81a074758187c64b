package dev.ledger.invoice;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.tenant.TenantMarkedPastDue;
import dev.ledger.core.tenant.TenantReactivated;
import dev.ledger.core.tenant.TenantRegistered;
import dev.ledger.core.tenant.TenantSuspended;
import dev.ledger.follower.ChainFollower;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dunning's view of the chain, kept by the follower in each poll's transaction: every tenant's status and the entry
 * that set it (with billing's cause), the invoices billing dunned, and which tenants' dunning is to be decided again
 * (after a status entry or an invoice event). The decisions themselves are the {@link DunningPass}'s.
 */
final class DunningView implements ChainFollower.Worker {

    private static final Logger log = LoggerFactory.getLogger(DunningView.class);
    private static final Map<String, String> STATUS = Map.of(
            EntryTypes.nameOf(TenantRegistered.class), "ACTIVE",
            EntryTypes.nameOf(TenantMarkedPastDue.class), "PAST_DUE",
            EntryTypes.nameOf(TenantSuspended.class), "SUSPENDED",
            EntryTypes.nameOf(TenantReactivated.class), "ACTIVE");

    private final Clock clock;

    DunningView(Clock clock) {
        this.clock = clock;
    }

    /** Whether entries of this type change dunning's view (a tenant's status, or an invoice that may have moved). */
    static boolean reads(String type) {
        return STATUS.containsKey(type) || InvoiceProjection.ENTRY_TYPE.equals(type);
    }

    @Override
    public void onVerified(StoredEntry entry, Connection transaction) throws SQLException {
        String status = STATUS.get(entry.type());
        if (status != null) {
            status(entry, status, transaction);
            pending(transaction, entry.tenantId(), clock.instant());
        } else if (InvoiceProjection.ENTRY_TYPE.equals(entry.type())) {
            pending(transaction, entry.tenantId(), clock.instant()); // an invoice may have moved
        }
    }

    private static void status(StoredEntry entry, String status, Connection c) throws SQLException {
        JsonNode payload = payload(entry);
        JsonNode cause = payload.path("cause");
        String causeEvent = cause.path("stripe_event_id").isTextual() ? cause.path("stripe_event_id").asText() : null;
        String causeInvoice = cause.path("invoice_id").isTextual() ? cause.path("invoice_id").asText() : null;
        Instant graceUntil = null;
        if ("PAST_DUE".equals(status) && payload.path("grace_until").isTextual()) {
            try {
                graceUntil = Instant.parse(payload.path("grace_until").asText());
            } catch (DateTimeParseException e) {
                log.warn("tenant {} entry {}: a grace_until that is not a time; the grace period is not kept", entry.tenantId(),
                        entry.sequence());
            }
        }
        try (PreparedStatement ps = c.prepareStatement("insert into invoice_worker_tenant_status (tenant_id, status, "
                + "status_sequence, cause_event_id, cause_invoice_id, grace_until) values (?, ?, ?, ?, ?, ?) "
                + "on conflict (tenant_id) do update set status = excluded.status, status_sequence = excluded.status_sequence, "
                + "cause_event_id = excluded.cause_event_id, cause_invoice_id = excluded.cause_invoice_id, "
                + "grace_until = excluded.grace_until where invoice_worker_tenant_status.status_sequence < excluded.status_sequence")) {
            ps.setString(1, entry.tenantId());
            ps.setString(2, status);
            ps.setLong(3, entry.sequence());
            ps.setString(4, causeEvent);
            ps.setString(5, causeInvoice);
            if (graceUntil == null) {
                ps.setNull(6, Types.TIMESTAMP_WITH_TIMEZONE);
            } else {
                ps.setTimestamp(6, Timestamp.from(graceUntil));
            }
            ps.executeUpdate();
        }
        if ("PAST_DUE".equals(status) && causeEvent != null && causeInvoice != null) {
            try (PreparedStatement ps = c.prepareStatement("insert into invoice_worker_dunned_invoice (tenant_id, invoice_id, "
                    + "sequence) values (?, ?, ?) on conflict do nothing")) {
                ps.setString(1, entry.tenantId());
                ps.setString(2, causeInvoice);
                ps.setLong(3, entry.sequence());
                ps.executeUpdate();
            }
        }
    }

    private static JsonNode payload(StoredEntry entry) {
        if (entry.payload() == null) {
            return LedgerJson.mapper().createObjectNode(); // redacted: its status still counts, without a cause
        }
        try {
            return LedgerJson.mapper().readTree(entry.payload());
        } catch (IOException e) {
            return LedgerJson.mapper().createObjectNode();
        }
    }

    /** Marks a tenant's dunning to be decided again (a newer mark than the one a running pass read wins). */
    static void pending(Connection c, String tenantId, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into invoice_worker_dunning_pending (tenant_id, since, version) "
                + "values (?, ?, 1) on conflict (tenant_id) do update set version = invoice_worker_dunning_pending.version + 1")) {
            ps.setString(1, tenantId);
            ps.setTimestamp(2, Timestamp.from(now));
            ps.executeUpdate();
        }
    }
}
