package dev.ledger.witness;

import dev.ledger.core.chain.TlogCheckpoint;
import dev.ledger.core.config.DatabaseUrl;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Base64;
import java.util.Map;

/**
 * Everything the witness needs, validated once at start-up. {@link #toString()} never shows the key's seed or a
 * database password.
 *
 * @param jdbcUrl           PostgreSQL holding the witness's own tables ({@code DATABASE_URL})
 * @param bind              where the HTTP port listens ({@code WITNESS_BIND_ADDRESS}, loopback when unset)
 * @param port              the HTTP port ({@code WITNESS_PORT}, 8083; 0 for any free port)
 * @param name              the cosigner name ({@code WITNESS_NAME}, {@code witness.localhost/w1})
 * @param seed              the 32-byte Ed25519 seed ({@code WITNESS_KEY}, base64); null: generate one (not in production)
 * @param logs              the logs it cosigns and their keys ({@code WITNESS_LOGS})
 * @param migrationDatabase the schema owner's login for the migrations ({@code LEDGER_MIGRATION_DATABASE_URL}); null:
 *                          they run over the witness's own login
 * @param production        {@code LEDGER_PRODUCTION=true}
 */
public record WitnessConfig(String jdbcUrl, String dbUser, String dbPassword, InetAddress bind, int port, String name,
                            byte[] seed, TrustedLogs logs, DatabaseUrl migrationDatabase, boolean production) {

    public static final int DEFAULT_PORT = 8083;
    public static final String DEFAULT_NAME = "witness.localhost/w1";

    public WitnessConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("WITNESS_PORT must be a port number: " + port);
        }
        try {
            TlogCheckpoint.requireOrigin(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("WITNESS_NAME must be a key name (a schema-less URL, no space or '+')");
        }
        if (seed != null && seed.length != 32) {
            throw new IllegalArgumentException("WITNESS_KEY must be the base64 of a 32-byte Ed25519 seed");
        }
        if (production && seed == null) {
            throw new IllegalArgumentException("witness refuses to start: WITNESS_KEY is unset in production "
                    + "(a generated key would change at every start, and every cosignature with it)");
        }
        seed = seed == null ? null : seed.clone();
    }

    /**
     * Reads the settings from environment variables: DATABASE_URL, LEDGER_MIGRATION_DATABASE_URL (unset), WITNESS_PORT
     * (8083), WITNESS_BIND_ADDRESS (127.0.0.1), WITNESS_NAME (witness.localhost/w1), WITNESS_KEY (unset: generated,
     * refused in production), WITNESS_LOGS (required), LEDGER_PRODUCTION (false), LEDGER_LOG_FORMAT (text).
     */
    public static WitnessConfig fromEnv(Map<String, String> env) {
        DatabaseUrl database = DatabaseUrl.parse("DATABASE_URL", env.get("DATABASE_URL"));
        String migrationUrl = blankToNull(env.get("LEDGER_MIGRATION_DATABASE_URL"));
        DatabaseUrl migration = migrationUrl == null ? null : DatabaseUrl.parse("LEDGER_MIGRATION_DATABASE_URL", migrationUrl);
        dev.ledger.core.config.LogFormat.of(env);
        String key = blankToNull(env.get("WITNESS_KEY"));
        byte[] seed = null;
        if (key != null) {
            try {
                seed = Base64.getDecoder().decode(key.strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("WITNESS_KEY must be the base64 of a 32-byte Ed25519 seed (it is not base64)");
            }
        }
        String name = blankToNull(env.get("WITNESS_NAME"));
        return new WitnessConfig(database.jdbcUrl(), database.user(), database.password(),
                bindAddress(env.get("WITNESS_BIND_ADDRESS")), (int) number(env, "WITNESS_PORT", DEFAULT_PORT),
                name == null ? DEFAULT_NAME : name.strip(), seed, TrustedLogs.parse("WITNESS_LOGS", env.get("WITNESS_LOGS")),
                migration, production(env));
    }

    /** LEDGER_PRODUCTION=true, as every service reads it. */
    static boolean production(Map<String, String> env) {
        return "true".equalsIgnoreCase(String.valueOf(env.get("LEDGER_PRODUCTION")).strip());
    }

    /** An IP literal (no name lookups at start-up); unset or blank: loopback. */
    static InetAddress bindAddress(String value) {
        if (value == null || value.isBlank()) {
            return InetAddress.getLoopbackAddress();
        }
        String v = value.strip();
        if (!v.matches("[0-9.]+|[0-9A-Fa-f:]+")) {
            throw new IllegalArgumentException("WITNESS_BIND_ADDRESS must be an IP address (e.g. 127.0.0.1 or 0.0.0.0)");
        }
        try {
            return InetAddress.getByName(v);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("WITNESS_BIND_ADDRESS must be an IP address (e.g. 127.0.0.1 or 0.0.0.0)");
        }
    }

    @Override
    public byte[] seed() {
        return seed == null ? null : seed.clone();
    }

    private static long number(Map<String, String> env, String name, long fallback) {
        String v = blankToNull(env.get(name));
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number: " + v);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    @Override
    public String toString() {
        return "WitnessConfig[jdbcUrl=" + jdbcUrl.replaceAll("password=[^&]*", "password=***") + ", dbUser=" + dbUser
                + ", bind=" + bind.getHostAddress() + ", port=" + port + ", name=" + name
                + ", key=" + (seed == null ? "generated" : "set") + ", logs=" + logs
                + ", migration=" + (migrationDatabase == null ? "own login" : "user " + migrationDatabase.user())
                + ", production=" + production + "]";
    }
}
