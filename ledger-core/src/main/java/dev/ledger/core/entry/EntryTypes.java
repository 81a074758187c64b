package dev.ledger.core.entry;

import com.fasterxml.jackson.databind.ObjectReader;
import dev.ledger.core.audit.AdminActionRecorded;
import dev.ledger.core.billing.InvoiceHeld;
import dev.ledger.core.billing.InvoiceWitnessed;
import dev.ledger.core.keys.ApiKeyIssued;
import dev.ledger.core.keys.ApiKeyRevoked;
import dev.ledger.core.evaluation.EvaluationRecorded;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.stripe.StripeEventRecorded;
import dev.ledger.core.tenant.StripeCustomerLinked;
import dev.ledger.core.tenant.TenantMarkedPastDue;
import dev.ledger.core.tenant.TenantReactivated;
import dev.ledger.core.tenant.TenantRegistered;
import dev.ledger.core.tenant.TenantSuspended;
import dev.ledger.core.usage.UsageRecorded;
import dev.ledger.core.usage.UsageReported;
import dev.ledger.core.audit.VerificationRecorded;
import dev.ledger.core.tenant.TenantLedger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The stored names of the ledger's entries: each {@link LedgerEvent} class is registered here, once, under a logical
 * name and a payload revision, and this is the only place a class is tied to what is stored and hashed. An entry's
 * {@code type} is the logical name ("EvaluationRecorded", never a Java class name), so moving or renaming a message
 * class changes no stored byte; a payload whose shape changes gets a new revision here (chain format: docs/chain.md).
 *
 * <p>Names are explicit strings, not derived from the class, and never reused: a registered name means the same
 * fact for every chain that was ever written.
 */
public final class EntryTypes {

    /** A registered entry type: its stored name, its payload revision and the class its payload is read into. */
    public record EntryType(String name, String revision, Class<? extends LedgerEvent> eventClass) {

        public EntryType {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(revision, "revision");
            Objects.requireNonNull(eventClass, "eventClass");
            if (!name.matches("[A-Z][A-Za-z0-9]{0,63}")) {
                throw new IllegalArgumentException("an entry type name is one word in PascalCase, not " + name);
            }
        }
    }

    private static final List<EntryType> ALL = List.of(
            new EntryType("TenantRegistered", "1", TenantRegistered.class),
            new EntryType("StripeCustomerLinked", "1", StripeCustomerLinked.class),
            new EntryType("TenantSuspended", "2", TenantSuspended.class),
            new EntryType("TenantReactivated", "2", TenantReactivated.class),
            new EntryType("TenantMarkedPastDue", "2", TenantMarkedPastDue.class),
            new EntryType("ApiKeyIssued", "1", ApiKeyIssued.class),
            new EntryType("ApiKeyRevoked", "1", ApiKeyRevoked.class),
            new EntryType("EvaluationRecorded", "1", EvaluationRecorded.class),
            new EntryType("UsageRecorded", "1", UsageRecorded.class),
            new EntryType("AdminActionRecorded", "1", AdminActionRecorded.class),
            new EntryType("UsageReported", "1", UsageReported.class),
            new EntryType("VerificationRecorded", "1", VerificationRecorded.class),
            new EntryType("StripeEventRecorded", "1", StripeEventRecorded.class),
            new EntryType("InvoiceWitnessed", "1", InvoiceWitnessed.class),
            new EntryType("InvoiceHeld", "1", InvoiceHeld.class),
            new EntryType("ReconciliationRecorded", "1", dev.ledger.core.billing.ReconciliationRecorded.class),
            new EntryType("PayloadsRedacted", "1", dev.ledger.core.audit.PayloadsRedacted.class));

    /**
     * The stored name of the tenant aggregate's snapshot (a cache of its replayed state, not an entry: never hashed,
     * exported or published), registered here like the entries so that no stored row names a class either. Raise
     * its revision when the aggregate's fields change: a snapshot of another revision is passed over and the tenant
     * replayed from its entries.
     */
    public static final StoredSnapshot TENANT_LEDGER_SNAPSHOT = new StoredSnapshot("TenantLedgerSnapshot", "3", TenantLedger.class);

    /** A stored snapshot type: its stored name, its revision and the aggregate class it is read into. */
    public record StoredSnapshot(String name, String revision, Class<?> aggregateClass) {
    }

    private static final Map<String, EntryType> BY_NAME = index(ALL);
    private static final Map<Class<?>, EntryType> BY_CLASS = byClass(ALL);
    /** A reader per type: readers are immutable and skip a type lookup per call. */
    private static final Map<String, ObjectReader> READERS = readers(ALL);

    private EntryTypes() {
    }

    /** Every registered type, in registration order. */
    public static List<EntryType> all() {
        return ALL;
    }

    /** The type an event class is stored as; every ledger event class is registered. */
    public static EntryType of(Class<?> eventClass) {
        EntryType type = BY_CLASS.get(eventClass);
        if (type == null) {
            throw new IllegalArgumentException("not a registered ledger entry type: " + eventClass.getSimpleName());
        }
        return type;
    }

    /** The type stored under this name, if it is one of the ledger's. */
    public static Optional<EntryType> named(String name) {
        return Optional.ofNullable(name == null ? null : BY_NAME.get(name));
    }

    /** Whether a stored {@code type} is one of the ledger's entry types. */
    public static boolean isKnown(String name) {
        return named(name).isPresent();
    }

    /** Whether the payload of an entry of this stored type may be redacted (the aggregate's RedactionPolicy). */
    public static boolean isRedactable(String name) {
        return dev.ledger.core.tenant.RedactionPolicy.redactable(name);
    }

    /** The stored name of an event class, e.g. "EvaluationRecorded". */
    public static String nameOf(Class<? extends LedgerEvent> eventClass) {
        return of(eventClass).name();
    }

    /** Reads a stored payload back into its event, accepting only the ledger's own entry types. */
    public static LedgerEvent read(String name, byte[] payload) {
        ObjectReader reader = name == null ? null : READERS.get(name);
        if (reader == null) {
            throw new IllegalArgumentException("not a ledger entry type: " + name);
        }
        try {
            return (LedgerEvent) reader.readValue(payload);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable " + name + " payload", e);
        }
    }

    private static Map<String, EntryType> index(List<EntryType> types) {
        Map<String, EntryType> byName = new LinkedHashMap<>();
        for (EntryType t : types) {
            if (byName.put(t.name(), t) != null) {
                throw new IllegalStateException("entry type " + t.name() + " is registered twice");
            }
        }
        return Map.copyOf(byName);
    }

    private static Map<Class<?>, EntryType> byClass(List<EntryType> types) {
        Map<Class<?>, EntryType> byClass = new HashMap<>();
        for (EntryType t : types) {
            if (byClass.put(t.eventClass(), t) != null) {
                throw new IllegalStateException(t.eventClass().getSimpleName() + " is registered under two names");
            }
        }
        return Map.copyOf(byClass);
    }

    private static Map<String, ObjectReader> readers(List<EntryType> types) {
        Map<String, ObjectReader> readers = new HashMap<>();
        for (EntryType t : types) {
            readers.put(t.name(), LedgerJson.mapper().readerFor(t.eventClass()));
        }
        return Map.copyOf(readers);
    }
}
