package dev.ledger.api.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.api.SharedInfrastructure;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The append writes its rows by binary COPY ({@link BinaryCopy}): every value PostgreSQL reads back must be the one
 * written, whatever its bytes, and a violated constraint must fail the COPY with the same SQL state an INSERT gets
 * (the append's race handling and Axon's retry rely on 23505).
 */
class BinaryCopyTest {

    private static final String COPY = "copy copy_probe (t, n, b) from stdin (format binary)";

    private record Row(String t, long n, byte[] b) {
    }

    @Test
    void givenRandomTextNumbersAndBytesThenPostgresReadsBackExactlyThoseValues() throws SQLException {
        Random random = new Random(7);
        List<Row> rows = new ArrayList<>();
        rows.add(new Row(null, Long.MIN_VALUE, null));
        rows.add(new Row("", Long.MAX_VALUE, new byte[0]));
        rows.add(new Row("grüße, 日本, \uD83D\uDE00, \"quote\" \\ \t", -1, new byte[200_000])); // grows past 64 KiB
        for (int i = 0; i < 2_000; i++) {
            StringBuilder t = new StringBuilder().append(i).append(':'); // unique
            for (int c = random.nextInt(40); c > 0; c--) {
                t.appendCodePoint(1 + random.nextInt(random.nextBoolean() ? 127 : 0x2FFF));
            }
            byte[] b = new byte[random.nextInt(300)];
            random.nextBytes(b);
            rows.add(new Row(t.toString(), random.nextLong(), b));
        }
        try (Connection c = connection()) {
            BinaryCopy copy = new BinaryCopy(COPY, 3);
            for (Row r : rows) {
                copy.row().text(r.t()).bigint(r.n()).bytes(r.b());
            }
            assertThat(copy.copyIn(c)).isEqualTo(rows.size());
            List<Row> read = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select t, n, b from copy_probe order by i")) {
                while (rs.next()) {
                    read.add(new Row(rs.getString(1), rs.getLong(2), rs.getBytes(3)));
                }
            }
            assertThat(read).hasSize(rows.size());
            for (int i = 0; i < rows.size(); i++) {
                assertThat(read.get(i).t()).as("text of row %d", i).isEqualTo(rows.get(i).t());
                assertThat(read.get(i).n()).as("bigint of row %d", i).isEqualTo(rows.get(i).n());
                assertThat(read.get(i).b() == null ? null : Arrays.toString(read.get(i).b())).as("bytea of row %d", i)
                        .isEqualTo(rows.get(i).b() == null ? null : Arrays.toString(rows.get(i).b()));
            }
        }
    }

    @Test
    void givenADuplicateKeyThenTheCopyFailsWithTheUniqueViolationStateAndTheConnectionRollsBack() throws SQLException {
        try (Connection c = connection()) {
            BinaryCopy copy = new BinaryCopy(COPY, 3);
            copy.row().text("same").bigint(1).bytes(new byte[1]);
            copy.row().text("same").bigint(2).bytes(new byte[1]);
            assertThatThrownBy(() -> copy.copyIn(c)).isInstanceOfSatisfying(SQLException.class,
                    e -> assertThat(e.getSQLState()).isEqualTo("23505"));
            c.rollback();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select count(*) from copy_probe")) {
                rs.next();
                assertThat(rs.getLong(1)).isZero();
            }
        }
    }

    @Test
    void givenARowWithTooFewFieldsThenNothingIsSent() {
        BinaryCopy copy = new BinaryCopy(COPY, 3);
        copy.row().text("a").bigint(1);
        assertThatThrownBy(copy::row).isInstanceOf(IllegalStateException.class).hasMessageContaining("2 of 3");
        assertThatThrownBy(() -> new BinaryCopy(COPY, 1).row().text("a").text("b"))
                .isInstanceOf(IllegalStateException.class);
    }

    /** A fresh probe table of this session (dropped when the connection closes), outside autocommit. */
    private static Connection connection() throws SQLException {
        Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl());
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("create temporary table copy_probe (i bigint generated always as identity, t varchar(4000), "
                    + "n bigint not null, b bytea, unique (t))");
        }
        c.commit(); // the table lasts as long as the session
        return c;
    }
}
