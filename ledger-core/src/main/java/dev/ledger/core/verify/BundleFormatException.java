package dev.ledger.core.verify;

import java.io.IOException;

/** The bundle cannot be read as ledger-export/v1: nothing about the chain can be concluded from it. */
public final class BundleFormatException extends IOException {

    private final long line;
    private final String problem;

    public BundleFormatException(long line, String problem) {
        super(line > 0 ? "line " + line + ": " + problem : problem);
        this.line = line;
        this.problem = problem;
    }

    /** The same problem placed at another line (a block's relative line made absolute). */
    BundleFormatException atLine(long absoluteLine) {
        return new BundleFormatException(absoluteLine, problem);
    }

    /** What is wrong, without the line. */
    public String problem() {
        return problem;
    }

    /** 1-based line the problem was found on, or 0 when it concerns the whole bundle. */
    public long line() {
        return line;
    }
}
