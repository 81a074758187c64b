package dev.ledger.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** DATABASE_URL and its siblings: libpq and JDBC forms read alike; a malformed value never shows its password. */
class ConfigDatabaseUrlParsingTest {

    @Test
    void givenALibpqUrl_thenJdbcUrlUserAndPasswordAreSeparated() {
        DatabaseUrl url = DatabaseUrl.parse("DATABASE_URL", "postgresql://ledger_api:p%40ss@db.internal:6543/ledger?sslmode=require");

        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:6543/ledger?sslmode=require");
        assertThat(url.user()).isEqualTo("ledger_api");
        assertThat(url.password()).isEqualTo("p@ss");
        assertThat(url.toString()).doesNotContain("p@ss");
    }

    @Test
    void givenAJdbcUrl_thenItIsKeptAndItsUserIsRead() {
        DatabaseUrl url = DatabaseUrl.parse("DATABASE_URL", "jdbc:postgresql://127.0.0.1:5432/ledger?user=postgres&password=pw-XYZ");

        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/ledger?user=postgres&password=pw-XYZ");
        assertThat(url.user()).isEqualTo("postgres");
        assertThat(url.password()).isEqualTo("pw-XYZ");
        assertThat(url.toString()).doesNotContain("pw-XYZ");
    }

    @Test
    void givenMalformedUrls_thenTheRefusalNamesTheVariableButNeverThePassword() {
        for (String bad : List.of("postgresql://ledger_api:s3cret-XYZ@db.internal:notaport/ledger",
                "postgresql://ledger_api:s3cret-XYZ@db internal:5432/ledger",
                "postgresql://ledger_api:s3cret-XYZ@db.internal:5432",
                "mysql://ledger_api:s3cret-XYZ@db.internal:5432/ledger",
                "postgresql://ledger_api:s3cret-XYZ%zz@db.internal:5432/ledger",
                "jdbc:mysql://db.internal/ledger?password=s3cret-XYZ")) {
            assertThatThrownBy(() -> DatabaseUrl.parse("DATABASE_URL", bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("DATABASE_URL is not a valid PostgreSQL URL")
                    .hasMessageNotContaining("s3cret-XYZ")
                    .hasNoCause();
        }
    }

    @Test
    void theClientProgramsAreToldTheHostPortDatabaseAndSslModeOfEitherForm() {
        assertThat(DatabaseUrl.parse("DATABASE_URL", "postgresql://owner:pw@db.example:6543/ledger?sslmode=require").location())
                .isEqualTo(new DatabaseUrl.Location("db.example", 6543, "ledger", "require"));
        assertThat(DatabaseUrl.parse("DATABASE_URL", "jdbc:postgresql://db.example/ledger?user=owner").location())
                .isEqualTo(new DatabaseUrl.Location("db.example", 5432, "ledger", null));
        assertThat(DatabaseUrl.parse("DATABASE_URL", "postgres://[::1]:15432/ledger").location())
                .isEqualTo(new DatabaseUrl.Location("[::1]", 15432, "ledger", null));
    }
}
