package dev.ledger.core.tenant;

/** What became of one item of {@link AppendEntries}: its chain sequence, or why the aggregate refused it. */
public record AppendOutcome(long sequence, Rejection rejection) {

    public static AppendOutcome appended(long sequence) {
        return new AppendOutcome(sequence, null);
    }

    public static AppendOutcome rejected(Rejection rejection) {
        return new AppendOutcome(0, java.util.Objects.requireNonNull(rejection));
    }

    public boolean isAppended() {
        return rejection == null;
    }
}
