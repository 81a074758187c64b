package dev.ledger.api.config;

import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.stereotype.Component;

/** Refuses to start on settings that are unsafe (always) or unsafe in production. Never prints a secret. */
@Component
class StartupSafety implements InitializingBean {

    static final String DEFAULT_PEPPER = "local-development-pepper";
    private final LedgerProperties props;

    StartupSafety(LedgerProperties props) {
        this.props = props;
    }

    @Override
    public void afterPropertiesSet() {
        List<String> problems = new ArrayList<>();
        if (props.adminKey() == null || !props.adminKey().matches("lk_admin_[0-9a-f]{32,}")) {
            problems.add("LEDGER_ADMIN_KEY must be set to a key of the form lk_admin_<at least 32 hex digits>");
        }
        if (props.keyPepper() == null || props.keyPepper().length() < 16) {
            problems.add("LEDGER_KEY_PEPPER must be set to at least 16 characters");
        }
        if (props.production()) {
            if (DEFAULT_PEPPER.equals(props.keyPepper())) {
                problems.add("LEDGER_KEY_PEPPER is the local-development default");
            }
            if (props.corsOrigins().contains("*")) {
                problems.add("CORS origins may not be '*' in production");
            }
            String stripeKey = System.getenv("STRIPE_API_KEY");
            if (stripeKey != null && stripeKey.startsWith("sk_test_")) {
                problems.add("STRIPE_API_KEY is a test key in production mode");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("ledger-api refuses to start: " + String.join("; ", problems));
        }
    }
}
