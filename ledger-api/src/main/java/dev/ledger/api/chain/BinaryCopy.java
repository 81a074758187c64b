package dev.ledger.api.chain;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Rows in PostgreSQL's binary COPY format (a header, then per row its field count and each field as a length and its
 * bytes, then a trailer), sent by one {@code COPY ... FROM STDIN (FORMAT binary)}: a batch of rows in one round trip,
 * without the per-row parameter binding and statement planning of a batched INSERT. Columns left out of the list
 * take their defaults (global_index from its sequence, in row order); constraints and triggers apply as for INSERT,
 * and a violated one fails the COPY, hence the transaction, with the same SQL state.
 */
public final class BinaryCopy {

    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0,
            0, 0, 0, 0, // flags: no OIDs
            0, 0, 0, 0}; // no header extension

    private final String sql;
    private final int columns;
    private byte[] buf = new byte[64 * 1024];
    private int length;
    private int rows;
    private int fieldsInRow;

    /** @param sql the COPY statement, e.g. {@code copy t (a, b) from stdin (format binary)}; columns: fields per row */
    public BinaryCopy(String sql, int columns) {
        this.sql = sql;
        this.columns = columns;
        put(HEADER, 0, HEADER.length);
    }

    /** Starts the next row; each row has exactly the statement's columns, in its order. */
    public BinaryCopy row() {
        endRow();
        ensure(2);
        buf[length++] = (byte) (columns >>> 8);
        buf[length++] = (byte) columns;
        rows++;
        fieldsInRow = 0;
        return this;
    }

    /** A text (varchar) field, null for SQL NULL. */
    public BinaryCopy text(String value) {
        return value == null ? nullField() : bytes(value.getBytes(StandardCharsets.UTF_8));
    }

    /** A bigint field. */
    public BinaryCopy bigint(long value) {
        field();
        ensure(12);
        putInt(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            buf[length++] = (byte) (value >>> shift);
        }
        return this;
    }

    /** A bytea field (or a text field already encoded as UTF-8), null for SQL NULL. */
    public BinaryCopy bytes(byte[] value) {
        if (value == null) {
            return nullField();
        }
        field();
        ensure(4 + value.length);
        putInt(value.length);
        put(value, 0, value.length);
        return this;
    }

    public int rows() {
        return rows;
    }

    /** Sends every row in one COPY on {@code connection}'s current transaction; answers the rows PostgreSQL took. */
    public long copyIn(Connection connection) throws SQLException {
        endRow();
        ensure(2);
        buf[length++] = (byte) 0xff; // trailer: field count -1
        buf[length++] = (byte) 0xff;
        CopyIn in = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
        try {
            in.writeToCopy(buf, 0, length);
            return in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy(); // a failed write: leave the connection usable for the rollback
            }
        }
    }

    private BinaryCopy nullField() {
        field();
        ensure(4);
        putInt(-1);
        return this;
    }

    private void field() {
        if (rows == 0 || ++fieldsInRow > columns) {
            throw new IllegalStateException("row() first, then exactly " + columns + " fields per row");
        }
    }

    private void endRow() {
        if (rows > 0 && fieldsInRow != columns) {
            throw new IllegalStateException("row " + rows + " has " + fieldsInRow + " of " + columns + " fields");
        }
    }

    private void putInt(int v) {
        buf[length++] = (byte) (v >>> 24);
        buf[length++] = (byte) (v >>> 16);
        buf[length++] = (byte) (v >>> 8);
        buf[length++] = (byte) v;
    }

    private void put(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, length, len);
        length += len;
    }

    private void ensure(int more) {
        int needed = Math.addExact(length, more);
        if (needed > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(needed, (int) Math.min(Integer.MAX_VALUE - 8, buf.length * 2L)));
        }
    }
}
