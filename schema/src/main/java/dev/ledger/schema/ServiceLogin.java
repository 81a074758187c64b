package dev.ledger.schema;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * What a service's database login may not be: a superuser (or able to become one), or the owner of the ledger's
 * tables (or a member of the owner's role). Either could drop the append-only triggers that {@code RESET ROLE} or
 * {@code SET ROLE} would put back in reach. The check reads the catalog only, and names the role, never a password.
 */
public final class ServiceLogin {

    private static final String QUERY = """
            select session_user::text,
                   exists (select 1 from pg_roles r where r.rolsuper and pg_has_role(session_user, r.oid, 'MEMBER')),
                   (select string_agg(distinct c.relowner::regrole::text, ', ')
                      from pg_class c join pg_namespace n on n.oid = c.relnamespace
                     where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v', 'S')
                       and pg_has_role(session_user, c.relowner, 'MEMBER'))
            """;

    /**
     * A worker's own database login: the service, its login role and the group role its grants go to, and its
     * migrations (classpath folder and history table), which grant it its own tables and nothing of the ledger's.
     */
    public record WorkerLogin(String service, String login, String group, String migrations, String historyTable) {
    }

    /** Every worker that has a database, each with its own login (system-tests' ArchWorkerLoginsTest checks them). */
    public static final List<WorkerLogin> WORKERS = List.of(
            new WorkerLogin("meter-reader", "meter_reader", "meter_reader_app", "db/meter-reader", "flyway_meter_reader_history"),
            new WorkerLogin("invoice-worker", "invoice_worker", "invoice_worker_app", "db/invoice-worker", "flyway_invoice_worker_history"));

    private ServiceLogin() {
    }

    /**
     * @param service the service's name, for the message
     * @return null when the login is a plain service role, else a sentence saying what it is and what to do
     */
    public static String refusal(Connection connection, String service) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(QUERY); ResultSet rs = ps.executeQuery()) {
            rs.next();
            String login = rs.getString(1);
            if (rs.getBoolean(2)) {
                return service + " is connected to PostgreSQL as '" + login + "', a superuser (or a member of one): "
                        + "it must log in as its own service role (README \"External PostgreSQL\")";
            }
            String owners = rs.getString(3);
            if (owners != null) {
                return service + " is connected to PostgreSQL as '" + login + "', which owns the ledger's tables (or is a member of "
                        + owners + "): it must log in as its own service role, and only migrations as the owner "
                        + "(README \"External PostgreSQL\")";
            }
            return null;
        }
    }
}
