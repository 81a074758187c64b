/**
 * The Stripe emulator: {@link dev.ledger.ops.stripe.StripeEmulator} is the front door (HTTP server, API key,
 * injected faults, test counters); behind it every Stripe resource is one class that keeps its own state, declares
 * its own routes and renders its own wire shapes: {@code TestClocks}, {@code Customers}, {@code BillingMeters},
 * {@code MeterEvents} (v1 meter events and the one identifier store), {@code MeterEventSummaries},
 * {@code MeterEventStreams} (v2 sessions and stream), {@code MeterErrorReports} (events accepted and then refused,
 * reported as v2 events on {@code GET /v2/core/events}), {@code Products}, {@code Prices}, {@code Subscriptions},
 * {@code Invoices}, {@code Events} and {@code EmulatorAdmin} ({@code /_emulator}); {@code WebhookDelivery} sends the
 * events. They share one {@code Router} (dialects, one lock, the time of the call), one {@code Idempotency}
 * mechanism, {@code ListPage} for lists, {@code StripeApiException} for errors, {@code FormParams} for decoding,
 * {@code ParamSchema} for checking parameters as Stripe's spec does ({@code parameter_unknown}, lengths, enums,
 * types), {@code Expand} for {@code expand[]}, {@code Created} for range filters, {@code Metadata} and {@code Wire}.
 *
 * <h2>Adding a resource (products, prices, subscriptions, invoices, test clocks, webhook endpoints…)</h2>
 * <ol>
 *   <li>Read the resource in Stripe's published API (the {@code stripe/openapi} repository:
 *       {@code latest/openapi.spec3.json}, and the object's example in {@code openapi/fixtures3.json}): paths,
 *       parameters, the object's fields and their order, its id prefix.</li>
 *   <li>Write one class implementing {@code StripeResource}: its state in plain fields (the router calls every
 *       handler under the emulator's one lock), {@code routes(router)} declaring
 *       {@code router.post("/v1/products", this::create)}, {@code router.get("/v1/products/{product}", …)}, and a
 *       handler per route taking an {@code ApiCall} and returning the JSON object (a {@code LinkedHashMap} in
 *       Stripe's field order). Check the parameters first with a {@code ParamSchema} written after the operation's
 *       request schema in the spec ({@code hash("name!", string(), …).withExpand()}), and the expand paths with
 *       {@code Expand.of(params, EXPANDABLE)}. Refuse with {@code StripeApiException} ({@code invalid}, {@code missingParam},
 *       {@code noSuch}, …); list with {@code ListPage.of}; ids from {@code Wire.newId("prod_", 14)}; metadata through
 *       {@code Metadata.merge}. Never read a clock: the call's time is {@code call.now()}.</li>
 *   <li>If it forgets things after a while (as meter event identifiers after 24 h), do it in {@code expire(now)}.
 *       If it needs another resource (a subscription needs its customer and price), take that resource in its
 *       constructor and ask it ({@code customers.exists(id)}); never reach into its maps.</li>
 *   <li>Add it with one line in {@code StripeEmulator}'s constructor ({@code .add(new Products())}); test it through
 *       stripe-java in a class named {@code Emulator…Test}, and add its schemas and operations to
 *       {@code ops/src/test/resources/stripe-spec/extract.py} so {@code EmulatorSpecTest} checks its answers.</li>
 * </ol>
 * What every resource gets without asking: v1 POSTs replay their {@code Idempotency-Key} for 24 h, injected faults
 * and the missing-key 401 are answered before the handler runs, unknown URLs answer Stripe's 404, and each route
 * counts the calls that reach it ({@code router.calls("POST", "/v1/products")}).
 *
 * <p>Time: the emulator has one {@code EmulatorClock} (a base clock, the system's unless a test gives
 * {@code StripeEmulator.start(port, clock)}, plus an offset that {@code advanceClock}/{@code setNow} and
 * {@code POST /_emulator/clock} move); the router reads it once per call and lets every resource catch up with it
 * ({@code expire(now)}: period ends, invoice finalisation and payment retries of customers without a test clock). A
 * Stripe test clock ({@code TestClocks}) keeps its own {@code frozen_time}; objects of a customer attached to one live
 * at that time ({@code customers.now(customer, call.nowSeconds())}) and move when it is advanced
 * ({@code TestClocks.Follower}). Where Stripe's fixtures and its spec disagree, the spec wins. Resources that Stripe announces changes of call {@code events.emit(…)};
 * {@code StripeEmulator.deliverWebhooks()} signs and sends what is due, outside the lock.
 */
package dev.ledger.ops.stripe;
