package dev.ledger.core.messages;

/** What became of one item of {@link AppendEntries}: its chain sequence, or a stable rejection code. */
public record AppendOutcome(long sequence, String rejection, String detail) {

    public static AppendOutcome appended(long sequence) {
        return new AppendOutcome(sequence, null, null);
    }

    public static AppendOutcome rejected(String code, String detail) {
        return new AppendOutcome(0, code, detail);
    }

    public boolean isAppended() {
        return rejection == null;
    }
}
