#!/usr/bin/env python3
"""Extracts from Stripe's published OpenAPI spec the JSON schemas of the objects and operations the emulator serves,
into schemas.json beside this script (read by EmulatorSpecTest).

    git -C <stripe/openapi clone> show 19be337d65af244fed355eaeb144de6dbeea82f1:latest/openapi.spec3.json > /tmp/spec3.json
    python3 ops/src/test/resources/stripe-spec/extract.py /tmp/spec3.json > ops/src/test/resources/stripe-spec/schemas.json

Commit 19be337d is "Update OpenAPI for 2026-07-29.dahlia", the API version stripe-java 33 pins. To add a resource to the
check, add its schemas to SCHEMAS and its operations to OPERATIONS, rerun, and add the calls to EmulatorSpecTest.
Only the named schemas are copied; a $ref to any other schema stays as it is, and the test refuses a non-null value
there (so a field the emulator starts filling in forces its schema in here). Prose is dropped, structure is kept.
"""
import json
import sys

SOURCE = {
    "repo": "stripe/openapi",
    "commit": "19be337d65af244fed355eaeb144de6dbeea82f1",
    "file": "latest/openapi.spec3.json",
    "api_version": "2026-07-29.dahlia",
}

SCHEMAS = [
    "address",
    "api_errors",
    "automatic_tax",
    "billing.meter",
    "billing.meter_event",
    "billing.meter_event_adjustment",
    "billing.meter_event_summary",
    "billing_bill_resource_invoicing_lines_common_credited_items",
    "billing_bill_resource_invoicing_lines_common_proration_details",
    "billing_bill_resource_invoicing_lines_parents_invoice_line_item_invoice_item_parent",
    "billing_bill_resource_invoicing_lines_parents_invoice_line_item_parent",
    "billing_bill_resource_invoicing_lines_parents_invoice_line_item_subscription_item_parent",
    "billing_bill_resource_invoicing_parents_invoice_parent",
    "billing_bill_resource_invoicing_parents_invoice_quote_parent",
    "billing_bill_resource_invoicing_parents_invoice_subscription_parent",
    "billing_bill_resource_invoicing_pricing_pricing",
    "billing_bill_resource_invoicing_pricing_pricing_price_details",
    "billing_bill_resource_invoicing_taxes_tax",
    "billing_bill_resource_invoicing_taxes_tax_rate_details",
    "billing_clocks_resource_status_details_advancing_status_details",
    "billing_clocks_resource_status_details_status_details",
    "billing_meter_resource_aggregation_settings",
    "billing_meter_resource_billing_meter_event_adjustment_cancel",
    "billing_meter_resource_billing_meter_status_transitions",
    "billing_meter_resource_billing_meter_value",
    "billing_meter_resource_customer_mapping_settings",
    "cancellation_details",
    "connect_account_reference",
    "custom_unit_amount",
    "customer",
    "customer_tax",
    "deleted_customer",
    "deleted_product",
    "deleted_test_helpers.test_clock",
    "discounts_resource_discount_amount",
    "event",
    "invoice",
    "invoice_item_threshold_reason",
    "invoice_line_item_period",
    "invoice_payment",
    "invoice_rendering_pdf",
    "invoice_setting_custom_field",
    "invoice_setting_customer_rendering_options",
    "invoice_setting_customer_setting",
    "invoice_threshold_reason",
    "invoices_payment_method_options",
    "invoices_payment_settings",
    "invoices_payments_invoice_payment_associated_payment",
    "invoices_payments_invoice_payment_status_transitions",
    "invoices_resource_confirmation_secret",
    "invoices_resource_from_invoice",
    "invoices_resource_invoice_rendering",
    "invoices_resource_invoice_tax_id",
    "invoices_resource_pretax_credit_amount",
    "invoices_resource_shipping_cost",
    "invoices_resource_status_transitions",
    "line_item",
    "line_items_tax_amount",
    "notification_event_data",
    "notification_event_request",
    "package_dimensions",
    "plan",
    "plan_tier",
    "price",
    "product",
    "product_marketing_feature",
    "recurring",
    "shipping",
    "smor_resource_managed_payments",
    "subscription",
    "subscription_automatic_tax",
    "subscription_billing_thresholds",
    "subscription_item",
    "subscription_item_billing_thresholds",
    "subscription_pending_invoice_item_interval",
    "subscription_transfer_data",
    "subscriptions_resource_billing_cycle_anchor_config",
    "subscriptions_resource_billing_mode",
    "subscriptions_resource_billing_mode_flexible",
    "subscriptions_resource_billing_schedules",
    "subscriptions_resource_billing_schedules_applies_to",
    "subscriptions_resource_billing_schedules_bill_until",
    "subscriptions_resource_billing_schedules_bill_until_duration",
    "subscriptions_resource_pause_collection",
    "subscriptions_resource_payment_method_options",
    "subscriptions_resource_payment_settings",
    "subscriptions_resource_pending_update",
    "subscriptions_resource_subscription_invoice_settings",
    "subscriptions_resource_subscription_presentment_details",
    "subscriptions_resource_trial_settings_end_behavior",
    "subscriptions_resource_trial_settings_trial_settings",
    "test_helpers.test_clock",
    "transform_quantity",
    "transform_usage",
    "v2.billing.meter_event_adjustment",
    "v2.billing.meter_event_session",
    "v2.core.event",
    "v2.error.no_meter",
]

# (method, path) -> the 200 response schema is copied (lists are inline objects in the spec)
OPERATIONS = [
    ("post", "/v1/billing/meter_event_adjustments"),
    ("post", "/v1/billing/meter_events"),
    ("get", "/v1/billing/meters"),
    ("post", "/v1/billing/meters"),
    ("get", "/v1/billing/meters/{id}"),
    ("post", "/v1/billing/meters/{id}"),
    ("post", "/v1/billing/meters/{id}/deactivate"),
    ("get", "/v1/billing/meters/{id}/event_summaries"),
    ("post", "/v1/billing/meters/{id}/reactivate"),
    ("get", "/v1/customers"),
    ("post", "/v1/customers"),
    ("delete", "/v1/customers/{customer}"),
    ("get", "/v1/customers/{customer}"),
    ("post", "/v1/customers/{customer}"),
    ("get", "/v1/events"),
    ("get", "/v1/events/{id}"),
    ("get", "/v1/invoices"),
    ("get", "/v1/invoices/{invoice}"),
    ("post", "/v1/invoices/{invoice}"),
    ("post", "/v1/invoices/{invoice}/finalize"),
    ("get", "/v1/invoices/{invoice}/lines"),
    ("post", "/v1/invoices/{invoice}/mark_uncollectible"),
    ("post", "/v1/invoices/{invoice}/pay"),
    ("post", "/v1/invoices/{invoice}/void"),
    ("get", "/v1/prices"),
    ("post", "/v1/prices"),
    ("get", "/v1/prices/{price}"),
    ("post", "/v1/prices/{price}"),
    ("get", "/v1/products"),
    ("post", "/v1/products"),
    ("delete", "/v1/products/{id}"),
    ("get", "/v1/products/{id}"),
    ("post", "/v1/products/{id}"),
    ("get", "/v1/subscriptions"),
    ("post", "/v1/subscriptions"),
    ("delete", "/v1/subscriptions/{subscription_exposed_id}"),
    ("get", "/v1/subscriptions/{subscription_exposed_id}"),
    ("post", "/v1/subscriptions/{subscription_exposed_id}"),
    ("get", "/v1/test_helpers/test_clocks"),
    ("post", "/v1/test_helpers/test_clocks"),
    ("delete", "/v1/test_helpers/test_clocks/{test_clock}"),
    ("get", "/v1/test_helpers/test_clocks/{test_clock}"),
    ("post", "/v1/test_helpers/test_clocks/{test_clock}/advance"),
    ("post", "/v2/billing/meter_event_adjustments"),
    ("post", "/v2/billing/meter_event_session"),
    ("post", "/v2/billing/meter_event_stream"),
    ("get", "/v2/core/events"),
    ("get", "/v2/core/events/{id}"),
]

DROP = {"description", "title", "x-stripeOperations", "x-stripeResource", "x-resourceId", "x-expansionResources",
        "x-stripeBypassValidation", "x-stripeMostCommon", "x-stripeParam", "format", "example"}


def strip(node):
    """The schema without prose and SDK hints; every structural keyword is kept, and so is every property, whatever
    its name (a property may be called "description" or "title")."""
    if isinstance(node, dict):
        out = {}
        for k, v in sorted(node.items()):
            if k == "properties" and isinstance(v, dict):
                out[k] = {name: strip(prop) for name, prop in sorted(v.items())}
            elif k not in DROP:
                out[k] = strip(v)
        return out
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main(path):
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    schemas = spec["components"]["schemas"]
    out_schemas = {}
    for name in SCHEMAS:
        if name not in schemas:
            sys.exit("schema not in spec: " + name)
        out_schemas[name] = strip(schemas[name])
    out_ops = {}
    for method, p in OPERATIONS:
        op = spec["paths"].get(p, {}).get(method)
        if op is None:
            sys.exit("operation not in spec: %s %s" % (method.upper(), p))
        response = op["responses"]["200"]["content"]["application/json"]["schema"]
        out_ops["%s %s" % (method.upper(), p)] = {"response": strip(response)}
    json.dump({"source": SOURCE, "schemas": out_schemas, "operations": out_ops}, sys.stdout, indent=1,
              sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: extract.py <openapi.spec3.json>")
    main(sys.argv[1])
