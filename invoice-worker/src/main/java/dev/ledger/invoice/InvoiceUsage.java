package dev.ledger.invoice;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.messages.UsageRecorded;
import java.io.IOException;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.regex.Pattern;

/**
 * What the invoice-worker does with a verified entry: adds its billable units to its tenant's usage of the invoice
 * period (the UTC calendar month of its ledger time). What an entry bills is read from its hashed metadata keys
 * {@code meter} and {@code quantity} alone, never from its type or payload: an entry without them, or of a type this
 * worker does not know, is verified and bills nothing.
 */
final class InvoiceUsage implements dev.ledger.follower.ChainFollower.Worker {

    private static final JsonFactory JSON = new JsonFactory();
    private static final Pattern METER = Pattern.compile("[A-Za-z0-9._:@/-]{1,100}");
    private static final Pattern QUANTITY = Pattern.compile("[1-9][0-9]{0,15}");

    /** The meter and units an entry bills, or null. */
    record Billable(String meter, long quantity) {
    }

    @Override
    public void onVerified(StoredEntry entry, Connection transaction) throws SQLException {
        Billable b = billable(entry.metadata());
        if (b == null) {
            return;
        }
        LocalDate period = Instant.parse(entry.recordedAt()).atZone(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1);
        try (PreparedStatement ps = transaction.prepareStatement("insert into invoice_worker_usage (tenant_id, meter, "
                + "period_start, quantity) values (?, ?, ?, ?) on conflict (tenant_id, meter, period_start) "
                + "do update set quantity = invoice_worker_usage.quantity + excluded.quantity")) {
            ps.setString(1, entry.tenantId());
            ps.setString(2, b.meter());
            ps.setDate(3, Date.valueOf(period));
            ps.setLong(4, b.quantity());
            ps.executeUpdate();
        }
    }

    /**
     * The {@code meter} (a ledger meter name) and {@code quantity} (the decimal string of a positive long, at most
     * {@link UsageRecorded#MAX_QUANTITY}) of a metadata object, or null when either is missing or malformed.
     */
    static Billable billable(byte[] metadata) {
        String meter = null;
        String quantity = null;
        try (JsonParser p = JSON.createParser(metadata)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (value == JsonToken.VALUE_STRING && name.equals("meter")) {
                    meter = p.getText();
                } else if (value == JsonToken.VALUE_STRING && name.equals("quantity")) {
                    quantity = p.getText();
                } else {
                    p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT) {
                return null;
            }
        } catch (IOException e) {
            return null;
        }
        if (meter == null || quantity == null || !METER.matcher(meter).matches() || !QUANTITY.matcher(quantity).matches()) {
            return null;
        }
        long q = Long.parseLong(quantity);
        return q <= UsageRecorded.MAX_QUANTITY ? new Billable(meter, q) : null;
    }
}
