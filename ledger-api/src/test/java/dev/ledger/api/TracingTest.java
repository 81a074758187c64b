package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** OpenTelemetry traces go to the collector OTEL_EXPORTER_OTLP_ENDPOINT names, and nowhere without it. */
class TracingTest {

    record Export(String path, String contentType, byte[] body) {
    }

    @Test
    void givenACollectorWhenARequestIsServedThenItsSpanIsExportedOverOtlp() throws Exception {
        LinkedBlockingQueue<Export> exports = new LinkedBlockingQueue<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/", exchange -> {
            exports.add(new Export(exchange.getRequestURI().getPath(), exchange.getRequestHeaders().getFirst("Content-Type"),
                    exchange.getRequestBody().readAllBytes()));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("OTEL_EXPORTER_OTLP_ENDPOINT",
                "http://127.0.0.1:" + collector.getAddress().getPort(), "management.tracing.opentelemetry.export.schedule-delay", "200ms"))) {
            assertThat(ledger.context().getBeanNamesForType(OtlpHttpSpanExporter.class)).isNotEmpty();
            assertThat(ledger.context().getBeanNamesForType(io.micrometer.tracing.Tracer.class)).isNotEmpty();
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            assertThat(admin.get("/v1/tenants?limit=1").status()).isEqualTo(200);

            List<Export> seen = new CopyOnWriteArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline && seen.stream().noneMatch(TracingTest::holdsTheRequest)) {
                Export e = exports.poll(500, TimeUnit.MILLISECONDS);
                if (e != null) {
                    seen.add(e);
                }
            }
            assertThat(seen).as("OTLP exports received").anyMatch(TracingTest::holdsTheRequest);
            assertThat(seen).allSatisfy(e -> {
                assertThat(e.path()).isEqualTo("/v1/traces");
                assertThat(e.contentType()).isEqualTo("application/x-protobuf");
            });
        } finally {
            collector.stop(0);
        }
    }

    @Test
    void givenNoCollectorThenNoExporterExists() {
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of())) {
            assertThat(ledger.context().getBeanNamesForType(OtlpHttpSpanExporter.class)).isEmpty();
            assertThat(ledger.context().getEnvironment().getProperty("management.tracing.enabled")).isEqualTo("false");
            // no tracer at all, so no request opens a span or a tracing scope
            assertThat(ledger.context().getBeanNamesForType(io.micrometer.tracing.Tracer.class)).isEmpty();
            assertThat(ledger.context().getBeanNamesForType(io.micrometer.tracing.handler.TracingObservationHandler.class))
                    .isEmpty();
        }
    }

    /** A span of the request: the service's name and the route appear as strings in the protobuf. */
    private static boolean holdsTheRequest(Export e) {
        String body = new String(e.body(), StandardCharsets.ISO_8859_1);
        return body.contains("ledger-api") && body.contains("/v1/tenants");
    }
}
