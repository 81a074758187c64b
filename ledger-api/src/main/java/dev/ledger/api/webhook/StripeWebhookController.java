package dev.ledger.api.webhook;

import dev.ledger.api.auth.Caller;
import dev.ledger.api.auth.Scope;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.ProblemCodes;
import dev.ledger.api.web.QueryParams;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirements;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Stripe's webhooks. The path takes no API key: it is authenticated by its {@code Stripe-Signature} alone, checked
 * against the configured secrets before the body is even parsed; an event that fails the check records nothing.
 */
@RestController
@Tag(name = "Stripe webhooks")
public class StripeWebhookController {

    private final StripeWebhookProperties settings;
    private final StripeSignature signature;
    private final StripeEventIntake intake;
    private final Clock clock;
    private final MeterRegistry metrics;

    public StripeWebhookController(StripeWebhookProperties settings, StripeEventIntake intake, Clock clock, MeterRegistry metrics) {
        this.metrics = metrics;
        for (String code : new String[] {"webhook_signature_invalid", "webhook_timestamp_outside_tolerance", "webhook_event_invalid",
                "malformed_json", "webhooks_not_configured"}) {
            failures(code); // present before the first failure, for the alert's rate
        }
        for (String outcome : new String[] {"recorded", "held", "replayed"}) {
            events(outcome);
        }
        this.settings = settings;
        this.signature = new StripeSignature(settings.secrets(), settings.tolerance());
        this.intake = intake;
        this.clock = clock;
    }

    @Operation(summary = "Receive a Stripe event", operationId = "receiveStripeWebhook",
            description = "Public, authenticated by Stripe's signature: `Stripe-Signature` must carry a `v1` HMAC-SHA256 of "
                    + "`t.body` under one of LEDGER_STRIPE_WEBHOOK_SECRETS (several while a secret is rolled), with `t` "
                    + "within LEDGER_STRIPE_WEBHOOK_TOLERANCE (300 s) of the ledger's clock, either way. A verified event is "
                    + "recorded once per event id as a StripeEventRecorded entry in the chain of the tenant linked to its "
                    + "customer; a redelivery answers the first receipt. An event no single tenant owns is held (200, "
                    + "`status: held`), never dropped.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, description = "The event as Stripe sends it",
                    content = @Content(mediaType = "application/json", schema = @Schema(type = "object"), examples = @ExampleObject(value = """
                            {"id":"evt_1QxY2z","object":"event","type":"invoice.paid","created":1764842400,"livemode":false,
                             "data":{"object":{"id":"in_1QxY2a","object":"invoice","customer":"cus_Q1w2E3r4T5y6U7","status":"paid"}}}"""))))
    @SecurityRequirements
    @ApiResponse(responseCode = "200", description = "Recorded (with its receipt) or held (with the reason)",
            headers = @Header(name = "Idempotent-Replayed", description = "true when the event was recorded before",
                    schema = @Schema(type = "string")),
            content = @Content(mediaType = "application/json", schema = @Schema(type = "object"), examples = {
                    @ExampleObject(name = "recorded", value = """
                            {"status":"recorded","event_id":"evt_1QxY2z","tenant_id":"acme","sequence":42,"hash":"9f2c…"}"""),
                    @ExampleObject(name = "held", value = """
                            {"status":"held","event_id":"evt_1QxY2z","reason":"unknown_customer"}""")}))
    @ProblemCodes({"webhook_signature_invalid", "webhook_timestamp_outside_tolerance", "webhook_event_invalid",
            "idempotency_key_reused", "webhooks_not_configured", "append_timeout", "shutting_down"})
    @PostMapping(path = "/v1/webhooks/stripe", consumes = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> receive(
            @Parameter(description = "t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=…]")
            @RequestHeader(value = "Stripe-Signature", required = false) String stripeSignature,
            @RequestBody byte[] body) {
        try {
            ResponseEntity<Map<String, Object>> answer = receiveChecked(stripeSignature, body);
            Object status = answer.getBody() == null ? null : answer.getBody().get("status");
            events("held".equals(status) ? "held"
                    : "true".equals(answer.getHeaders().getFirst("Idempotent-Replayed")) ? "replayed" : "recorded").increment();
            return answer;
        } catch (ApiProblem p) {
            failures(p.code()).increment();
            throw p;
        }
    }

    private Counter events(String outcome) {
        return Counter.builder("ledger.webhook.events").tag("outcome", outcome)
                .description("Stripe webhook events accepted, by what became of them").register(metrics);
    }

    private Counter failures(String code) {
        return Counter.builder("ledger.webhook.failures").tag("code", code)
                .description("Stripe webhook deliveries refused, by problem code (a wrong secret, a clock skew, a body that is no event)")
                .register(metrics);
    }

    private ResponseEntity<Map<String, Object>> receiveChecked(String stripeSignature, byte[] body) {
        if (settings.secrets().isEmpty()) {
            throw new ApiProblem(HttpStatus.SERVICE_UNAVAILABLE, "webhooks_not_configured",
                    "This ledger has no Stripe webhook secret (LEDGER_STRIPE_WEBHOOK_SECRETS); nothing was recorded.");
        }
        StripeSignature.Refusal refusal = signature.check(stripeSignature, body, clock.instant());
        if (refusal == StripeSignature.Refusal.OUTSIDE_TOLERANCE) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "webhook_timestamp_outside_tolerance",
                    "The signature's timestamp is further than " + settings.tolerance().toSeconds()
                            + " s from the ledger's clock; nothing was recorded.");
        }
        if (refusal != null) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "webhook_signature_invalid",
                    "Stripe-Signature is missing, malformed or made with no configured secret; nothing was recorded.");
        }
        StripeEventIntake.Parsed parsed = intake.parse(body);
        if (parsed.notJson()) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "malformed_json", "The body is not valid JSON.");
        }
        if (parsed.event() == null) {
            throw invalid(parsed.invalid());
        }
        return answer(parsed.event(), intake.accept(parsed.event(), body));
    }

    @Operation(summary = "Submit a Stripe event read from Stripe's API", operationId = "recoverStripeEvent",
            description = "Admin key, or a service key (billing:write): an event the invoice-worker's reconciliation pass "
                    + "read from Stripe's API (`GET /v1/events`) because its webhook never arrived. Recorded exactly as a "
                    + "webhook's event would be (once per event id, whichever way it came first; held when no single "
                    + "tenant owns its customer), with the submitting key as its actor.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, description = "The event as Stripe's API answers it",
                    content = @Content(mediaType = "application/json", schema = @Schema(type = "object"), examples = @ExampleObject(value = """
                            {"id":"evt_1QxY2z","object":"event","type":"invoice.paid","created":1764842400,"livemode":false,
                             "data":{"object":{"id":"in_1QxY2a","object":"invoice","customer":"cus_Q1w2E3r4T5y6U7","status":"paid"}}}"""))))
    @ApiResponse(responseCode = "200", description = "Recorded (with its receipt) or held (with the reason)",
            headers = @Header(name = "Idempotent-Replayed", description = "true when the event was recorded before",
                    schema = @Schema(type = "string")),
            content = @Content(mediaType = "application/json", schema = @Schema(type = "object"), examples = {
                    @ExampleObject(name = "recorded", value = """
                            {"status":"recorded","event_id":"evt_1QxY2z","tenant_id":"acme","sequence":42,"hash":"9f2c…"}""")}))
    @ProblemCodes({"insufficient_scope", "malformed_json", "webhook_event_invalid", "idempotency_key_reused", "append_timeout",
            "shutting_down"})
    @PostMapping(path = "/v1/stripe-events", consumes = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> recover(Caller caller, @RequestBody byte[] body) {
        if (caller.kind() != Caller.Kind.ADMIN) {
            caller.require(Scope.BILLING_WRITE);
            if (caller.kind() == Caller.Kind.TENANT) {
                throw new ApiProblem(HttpStatus.FORBIDDEN, "insufficient_scope", "Only the admin and service keys submit Stripe events.");
            }
        }
        StripeEventIntake.Parsed parsed = intake.parse(body);
        if (parsed.notJson()) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "malformed_json", "The body is not valid JSON.");
        }
        if (parsed.event() == null) {
            throw invalid(parsed.invalid());
        }
        return answer(parsed.event(), intake.recover(parsed.event(), body, caller.actor()));
    }

    private static ResponseEntity<Map<String, Object>> answer(StripeEventIntake.StripeEvent event, StripeEventIntake.Outcome outcome) {
        Map<String, Object> answer = new LinkedHashMap<>();
        if (outcome.heldReason() != null) {
            answer.put("status", "held");
            answer.put("event_id", event.id());
            answer.put("reason", outcome.heldReason());
            return ResponseEntity.ok(answer);
        }
        answer.put("status", "recorded");
        answer.put("event_id", event.id());
        answer.put("tenant_id", outcome.receipt().tenantId());
        answer.put("sequence", outcome.receipt().sequence());
        answer.put("hash", outcome.receipt().hash());
        ResponseEntity.BodyBuilder ok = ResponseEntity.ok();
        if (outcome.replayed()) {
            ok.header("Idempotent-Replayed", "true");
        }
        return ok.body(answer);
    }

    @Operation(summary = "List held Stripe events", operationId = "listHeldStripeEvents",
            description = "Admin key. Verified events no single tenant owns (reason `unknown_customer`, "
                    + "`ambiguous_customer`, `no_customer`, `entry_too_large`, `thin_event`), oldest first, without their bodies.")
    @ApiResponse(responseCode = "200", description = "The held events",
            content = @Content(mediaType = "application/json", schema = @Schema(type = "object"), examples = @ExampleObject(value = """
                    {"held":[{"event_id":"evt_1QxY2z","event_type":"invoice.paid","customer_id":"cus_Unknown1","reason":"unknown_customer",
                     "received_at":"2026-12-04T10:00:00Z","bytes":2210}]}""")))
    @ProblemCodes({"admin_only", "invalid_parameter"})
    @GetMapping("/v1/webhooks/stripe/held")
    public Map<String, Object> held(Caller caller, @RequestParam(defaultValue = "100") int limit) {
        caller.requireAdmin();
        QueryParams.pageLimit(limit);
        List<Map<String, Object>> rows = intake.held(limit).stream().map(r -> {
            Map<String, Object> row = new LinkedHashMap<>(r);
            row.put("received_at", ((java.sql.Timestamp) r.get("received_at")).toInstant().toString());
            return row;
        }).toList();
        return Map.of("held", rows);
    }

    private static ApiProblem invalid(String detail) {
        return new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "webhook_event_invalid", "Not a Stripe event: " + detail + ".");
    }
}
