package dev.ledger.meter;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the meter-reader may do on a deployment's behalf, beside its connections ({@link MeterReaderConfig}):
 * which meters it may bill (and so create in the Stripe account), where its probe port listens, when a window
 * already sent is reconciled with Stripe before it is sent again, and how often it fetches signed checkpoints.
 *
 * @param allowedMeters      meter names the worker bills; a window of any other meter is parked as {@code unknown_meter}
 * @param probeBindAddress   the address the probe/operator port binds (loopback unless configured)
 * @param reconcileAfter     a window first sent longer ago than this is checked against Stripe's meter event summaries
 *                           before it is sent again (Stripe dedupes identifiers for about 24 h only)
 * @param checkpointInterval how often a tenant's latest signed checkpoint is fetched from the ledger (zero: never)
 * @param errorReportInterval how often Stripe's meter error reports are read (zero: never)
 * @param requireCheckpoint  bill only entries a verified signed checkpoint covers (else a contradiction stops the tenant
 *                           when it is found, possibly after some of its windows were billed)
 */
public record MeterReaderPolicy(Set<String> allowedMeters, InetAddress probeBindAddress, Duration reconcileAfter,
                                Duration checkpointInterval, boolean requireCheckpoint, Duration errorReportInterval) {

    /** The meters the ledger itself produces and the local stack uses: evaluations (one per evaluation) and tokens. */
    public static final String DEFAULT_METERS = "evaluations,tokens";

    public MeterReaderPolicy {
        allowedMeters = Set.copyOf(allowedMeters);
        if (allowedMeters.isEmpty()) {
            throw new IllegalArgumentException("LEDGER_ALLOWED_METERS must name at least one meter");
        }
        for (String m : allowedMeters) {
            if (!UsageWindow.isMeterName(m)) {
                throw new IllegalArgumentException("LEDGER_ALLOWED_METERS: not a meter name: "
                        + RecordKey.forLog(m));
            }
        }
        if (reconcileAfter.isNegative() || reconcileAfter.isZero() || reconcileAfter.compareTo(Duration.ofHours(23)) > 0) {
            throw new IllegalArgumentException("METER_READER_RECONCILE_AFTER_SECONDS must be between 1 s and 23 h "
                    + "(Stripe keeps an identifier for about 24 h)");
        }
        if (checkpointInterval.isNegative()) {
            throw new IllegalArgumentException("METER_READER_CHECKPOINT_SECONDS cannot be negative");
        }
        if (errorReportInterval.isNegative()) {
            throw new IllegalArgumentException("METER_READER_ERROR_REPORT_SECONDS cannot be negative");
        }
        if (requireCheckpoint && checkpointInterval.isZero()) {
            throw new IllegalArgumentException("METER_READER_REQUIRE_CHECKPOINT needs checkpoints fetched: "
                    + "METER_READER_CHECKPOINT_SECONDS must not be 0");
        }
    }

    /** Defaults only. */
    public static MeterReaderPolicy defaults() {
        return fromEnv(Map.of());
    }

    /**
     * LEDGER_ALLOWED_METERS (comma separated; {@value #DEFAULT_METERS}), METER_READER_BIND_ADDRESS (127.0.0.1),
     * METER_READER_RECONCILE_AFTER_SECONDS (72000 = 20 h), METER_READER_CHECKPOINT_SECONDS (30; 0 turns it off),
     * METER_READER_REQUIRE_CHECKPOINT (false), METER_READER_ERROR_REPORT_SECONDS (60; 0 turns it off).
     */
    public static MeterReaderPolicy fromEnv(Map<String, String> env) {
        String meters = env.getOrDefault("LEDGER_ALLOWED_METERS", DEFAULT_METERS);
        Set<String> allowed = new LinkedHashSet<>();
        Arrays.stream(meters.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(allowed::add);
        return new MeterReaderPolicy(allowed, bindAddress(env.get("METER_READER_BIND_ADDRESS"), "METER_READER_BIND_ADDRESS"),
                Duration.ofSeconds(number(env, "METER_READER_RECONCILE_AFTER_SECONDS", 20 * 3600)),
                Duration.ofSeconds(number(env, "METER_READER_CHECKPOINT_SECONDS", 30)),
                bool(env, "METER_READER_REQUIRE_CHECKPOINT"),
                Duration.ofSeconds(number(env, "METER_READER_ERROR_REPORT_SECONDS", 60)));
    }

    /** The same policy with another meter allowlist. */
    public MeterReaderPolicy withAllowedMeters(Set<String> meters) {
        return new MeterReaderPolicy(meters, probeBindAddress, reconcileAfter, checkpointInterval, requireCheckpoint,
                errorReportInterval);
    }

    /** The same policy reading Stripe's meter error reports this often (zero: never). */
    public MeterReaderPolicy withErrorReportInterval(Duration interval) {
        return new MeterReaderPolicy(allowedMeters, probeBindAddress, reconcileAfter, checkpointInterval,
                requireCheckpoint, interval);
    }

    boolean allows(String meter) {
        return allowedMeters.contains(meter);
    }

    /** An IP literal (no name lookups at start-up); unset or blank: loopback. */
    static InetAddress bindAddress(String value, String name) {
        return dev.ledger.follower.ProbeServer.bindAddress(value, name);
    }

    private static boolean bool(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank() || v.trim().equalsIgnoreCase("false")) {
            return false;
        }
        if (v.trim().equalsIgnoreCase("true")) {
            return true;
        }
        throw new IllegalArgumentException(name + " must be true or false");
    }

    private static long number(Map<String, String> env, String name, long fallback) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number");
        }
    }
}
