package dev.ledger.api.web;

import java.io.IOException;
import java.io.Writer;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * Tomcat's last word on an error it raises itself (a request it refused before any servlet saw it): the same
 * problem+json the service answers, instead of Tomcat's HTML report.
 */
public class ProblemReportValve extends ErrorReportValve {

    public ProblemReportValve() {
        setShowReport(false);
        setShowServerInfo(false);
    }

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || response.isCommitted()) {
            return;
        }
        ApiProblem problem = Problems.forStatus(status);
        String body = "{\"type\":\"https://ledger.dev/problems/" + problem.code() + "\",\"title\":\"" + problem.status().getReasonPhrase()
                + "\",\"status\":" + status + ",\"detail\":\"" + problem.getMessage() + "\",\"code\":\"" + problem.code() + "\"}";
        try {
            SecurityHeaders.write(response, false, request.isSecure());
            response.setContentType("application/problem+json");
            response.setCharacterEncoding("UTF-8");
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(body);
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the client is gone or the response cannot take a body any more: nothing else to tell it
        }
    }
}
