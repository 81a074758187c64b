package dev.ledger.api.usage;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The meters this deployment bills ({@code LEDGER_ALLOWED_METERS}, comma separated; the meter-reader reads the same
 * variable): a usage record of any other meter is refused with 422 {@code unknown_meter}, so no tenant can make the
 * workers create meters in the Stripe account.
 */
@ConfigurationProperties(prefix = "ledger.usage")
public record UsageProperties(@DefaultValue({"evaluations", "tokens"}) List<String> allowedMeters) {

    public UsageProperties {
        Set<String> meters = new LinkedHashSet<>();
        for (String m : allowedMeters) {
            if (!m.isBlank()) {
                meters.add(m.strip());
            }
        }
        if (meters.isEmpty()) {
            throw new IllegalArgumentException("LEDGER_ALLOWED_METERS must name at least one meter");
        }
        allowedMeters = List.copyOf(meters);
    }

    boolean allows(String meter) {
        return allowedMeters.contains(meter);
    }
}
