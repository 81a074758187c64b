package dev.ledger.api.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.servlet.error.ErrorController;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.RequestMapping;

/**
 * What the servlet container forwards to /error (a sendError, an exception that left the servlet, an unmapped
 * status): problem+json whatever the client accepts, in place of Boot's Whitelabel page.
 */
@Controller
@Hidden
class ProblemErrorController implements ErrorController {

    private static final Logger log = LoggerFactory.getLogger(ProblemErrorController.class);
    private final ObjectMapper json;

    ProblemErrorController(ObjectMapper json) {
        this.json = json;
    }

    @RequestMapping("/error")
    void error(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Object status = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        Object thrown = request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
        ApiProblem problem = thrown instanceof Throwable t ? Problems.cause(t, ApiProblem.class) : null;
        if (problem == null && thrown instanceof Throwable t) {
            BodyLimits.TooLarge tooLarge = Problems.cause(t, BodyLimits.TooLarge.class);
            if (tooLarge != null) {
                problem = tooLarge.problem();
            } else {
                Problems.logUnexpected(log, t);
            }
        }
        if (problem == null) {
            // a direct GET /error (no error dispatch) is a route like any other that does not exist
            problem = Problems.forStatus(status instanceof Integer code ? code : 404);
        }
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        Problems.write(response, json, problem);
    }
}
