package dev.ledger.core.entry;

/**
 * The version of the chain format (docs/chain.md): what an entry's framed fields hold and how they are hashed. It is
 * framed into every entry hash (tag {@code ledger-entry/v2}) and carried in every export bundle's header
 * ({@code chain_format}); a reader refuses a version it does not know rather than guess.
 *
 * <ul>
 *   <li>1: entry {@code type} was the Java class name of the event ({@code dev.ledger.core.evaluation.EvaluationRecorded}),
 *       revision as the class's annotation said. No longer written or read.</li>
 *   <li>2: entry {@code type} is the logical name of {@link EntryTypes} ({@code EvaluationRecorded}), revision its
 *       registered revision.</li>
 * </ul>
 */
public final class ChainFormat {

    /** The format this code writes and the only one it reads. */
    public static final int VERSION = 2;
    /** The first member of every entry frame: names the format, so a hash of one format can never pass for another's. */
    public static final String ENTRY_TAG = "ledger-entry/v" + VERSION;

    private ChainFormat() {
    }
}
