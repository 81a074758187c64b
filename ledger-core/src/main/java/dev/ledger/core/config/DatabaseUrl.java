package dev.ledger.core.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * A PostgreSQL connection given as {@code postgresql://user:password@host:port/database?params} (libpq style) or as a
 * {@code jdbc:postgresql:} URL, read once for every service (ledger-api's {@code DATABASE_URL} and
 * {@code LEDGER_MIGRATION_DATABASE_URL}, the meter-reader's). A malformed value is refused with a message that names
 * the variable and what is wrong, never the value itself (it may hold a password); {@link #toString()} hides the
 * password too.
 *
 * @param jdbcUrl  the JDBC URL, without the user's credentials when they came as user info
 * @param user     the login, or null when the URL names none (the driver's default)
 * @param password the password, or null
 */
public record DatabaseUrl(String jdbcUrl, String user, String password) {

    private static final String EXPECTED = "expected postgresql://user:password@host:port/database or jdbc:postgresql://host:port/database?user=...";

    /** @param variable the setting's name, for the message of a refusal */
    public static DatabaseUrl parse(String variable, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(variable + " is required (" + EXPECTED + ")");
        }
        String v = value.strip();
        if (v.startsWith("jdbc:")) {
            if (!v.startsWith("jdbc:postgresql:")) {
                throw refusal(variable, "it is a JDBC URL of another database than PostgreSQL");
            }
            return new DatabaseUrl(v, queryParameter(v, "user"), queryParameter(v, "password"));
        }
        if (!v.startsWith("postgresql://") && !v.startsWith("postgres://")) {
            throw refusal(variable, "it does not start with postgresql://");
        }
        URI uri;
        try {
            uri = new URI(v.replaceFirst("^postgres(ql)?://", "http://"));
        } catch (URISyntaxException e) {
            // getReason() names the rule broken, not the input (getMessage() would repeat the whole value)
            throw refusal(variable, e.getReason().toLowerCase(java.util.Locale.ROOT) + " at character " + e.getIndex());
        }
        if (uri.getHost() == null) {
            throw refusal(variable, "it has no valid host[:port] (the port must be a number)");
        }
        if (uri.getRawPath() == null || uri.getRawPath().length() < 2) {
            throw refusal(variable, "it names no database");
        }
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        int port = uri.getPort() > 0 ? uri.getPort() : 5432;
        String url = "jdbc:postgresql://" + uri.getHost() + ":" + port + uri.getRawPath() + query;
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            try {
                user = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
                password = parts.length > 1 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : null;
            } catch (IllegalArgumentException e) {
                throw refusal(variable, "its user or password has a malformed %-escape");
            }
        }
        return new DatabaseUrl(url, user == null || user.isEmpty() ? queryParameter(url, "user") : user,
                password == null ? queryParameter(url, "password") : password);
    }

    /** Where a URL points, for the PostgreSQL client programs (libpq's host, port, dbname and sslmode). */
    public record Location(String host, int port, String database, String sslmode) {
    }

    private static final java.util.regex.Pattern JDBC_LOCATION =
            java.util.regex.Pattern.compile("jdbc:postgresql://(\\[[^\\]]+\\]|[^/:?]+)(?::(\\d+))?/([^?]+)(?:\\?.*)?");

    /** The host, port (5432 when unnamed), database and {@code sslmode} of this URL, or null when it names no host. */
    public Location location() {
        java.util.regex.Matcher m = JDBC_LOCATION.matcher(jdbcUrl);
        if (!m.matches()) {
            return null;
        }
        return new Location(m.group(1), m.group(2) == null ? 5432 : Integer.parseInt(m.group(2)), m.group(3),
                queryParameter(jdbcUrl, "sslmode"));
    }

    private static IllegalArgumentException refusal(String variable, String what) {
        return new IllegalArgumentException(variable + " is not a valid PostgreSQL URL: " + what + " (" + EXPECTED
                + "; the value is not shown, it may hold a password)");
    }

    private static String queryParameter(String url, String name) {
        int q = url.indexOf('?');
        if (q < 0) {
            return null;
        }
        for (String pair : url.substring(q + 1).split("&")) {
            if (pair.startsWith(name + "=")) {
                try {
                    return URLDecoder.decode(pair.substring(name.length() + 1), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return pair.substring(name.length() + 1);
                }
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "DatabaseUrl[" + jdbcUrl.replaceAll("password=[^&]*", "password=***") + ", user=" + user
                + ", password=" + (password == null ? "unset" : "***") + "]";
    }
}
