package dev.ledger.api;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Every log line of the running service, from attach() to close(): for asserting what the log never shows. */
final class RequestLogCapture implements AutoCloseable {

    private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
    private final Logger root;

    private RequestLogCapture() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        captured.setContext(context);
        captured.start();
        root.addAppender(captured);
    }

    /** Attach after the service has started: Spring Boot re-initialises logging at start. */
    static RequestLogCapture attach() {
        return new RequestLogCapture();
    }

    /** Every event captured so far. */
    List<ILoggingEvent> events() {
        synchronized (captured) { // AppenderBase appends under the appender's lock
            return List.copyOf(captured.list);
        }
    }

    /** Lines (message and any attached throwable) that dump a stack trace or an exception. */
    List<String> stackTraces() {
        return captured.list.stream()
                .filter(e -> e.getThrowableProxy() != null || e.getFormattedMessage().contains("\tat ")
                        || e.getFormattedMessage().matches("(?s).*\\b[a-z]+(\\.[a-z0-9]+)+\\.[A-Z]\\w*(Exception|Error): .*"))
                .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage()
                        + (e.getThrowableProxy() == null ? "" : " / " + e.getThrowableProxy().getClassName()))
                .toList();
    }

    @Override
    public void close() {
        root.detachAppender(captured);
    }
}
