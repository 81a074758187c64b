package dev.ledger.api.finance;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A finance answer as {@code text/csv} (RFC 4180: a header row, CRLF line ends, fields quoted when they hold a comma,
 * a quote or a line break), streamed as the rows are read, with a {@code Content-Disposition} file name. A text field
 * that a spreadsheet would take for a formula (starting with {@code = + - @}, a tab or a carriage return) is prefixed
 * with {@code '}: a Stripe reason or a detail never runs as a formula in finance's spreadsheet. Numbers are written as
 * they are.
 */
final class Csv implements AutoCloseable {

    static final String MEDIA_TYPE = "text/csv";

    private final Writer out;

    private Csv(Writer out) {
        this.out = out;
    }

    /** Starts the answer: status 200, the type, the file name and the header row. */
    static Csv start(HttpServletResponse response, String filename, List<String> header) throws IOException {
        response.setStatus(200);
        response.setContentType(MEDIA_TYPE + ";charset=UTF-8");
        response.setHeader("Content-Disposition", "attachment; filename=\"" + filename + "\"");
        Csv csv = new Csv(new OutputStreamWriter(response.getOutputStream(), StandardCharsets.UTF_8));
        csv.row(header.toArray());
        return csv;
    }

    /** One row; a client that went away surfaces as an {@link java.io.UncheckedIOException}. */
    void row(Object... fields) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < fields.length; i++) {
            if (i > 0) {
                line.append(',');
            }
            line.append(field(fields[i]));
        }
        try {
            out.write(line.append("\r\n").toString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String field(Object value) {
        if (value == null) {
            return "";
        }
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        String s = value.toString();
        if (!s.isEmpty() && "=+-@\t\r".indexOf(s.charAt(0)) >= 0) {
            s = "'" + s;
        }
        if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) {
            s = '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }

    @Override
    public void close() throws IOException {
        out.flush();
    }
}
