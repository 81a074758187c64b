package dev.ledger.api.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 18: the COPY statement of a verification takes no bind parameters, so its tenant literal is quoted
 * by the PostgreSQL driver's own escaping (which follows the server's standard_conforming_strings and refuses a zero
 * byte), never by a hand-written replace. Tenant ids cannot hold a quote today; the builder must not depend on that.
 */
class ReadCopyStatementTest {

    @Test
    void givenAQuoteInTheTenantIdThenTheLiteralDoublesIt() throws SQLException {
        String sql = ChainAudit.copyStatement("o'brien", 1, 10, true);
        assertThat(sql).contains("aggregate_identifier = 'o''brien' and sequence_number between 0 and 9");
        assertThat(sql).startsWith("copy (select ").endsWith(" order by sequence_number) to stdout (format binary)");
    }

    @Test
    void givenAServerWithoutStandardConformingStringsThenBackslashesAreEscapedToo() throws SQLException {
        // with standard_conforming_strings off, '\' escapes inside '...': a hand escape of quotes alone lets
        // "x\' or true --" close the literal early
        String sql = ChainAudit.copyStatement("x\\' or true --", 1, 2, false);
        assertThat(sql).contains("aggregate_identifier = 'x\\\\'' or true --'");
    }

    @Test
    void givenAZeroByteInTheTenantIdThenTheStatementIsRefused() {
        assertThatThrownBy(() -> ChainAudit.copyStatement("acme\0", 1, 2, true)).isInstanceOf(SQLException.class);
    }
}
