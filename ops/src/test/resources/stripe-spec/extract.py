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
    "billing.meter",
    "billing.meter_event",
    "billing.meter_event_summary",
    "billing_meter_resource_aggregation_settings",
    "billing_meter_resource_billing_meter_status_transitions",
    "billing_meter_resource_billing_meter_value",
    "billing_meter_resource_customer_mapping_settings",
    "billing_clocks_resource_status_details_advancing_status_details",
    "billing_clocks_resource_status_details_status_details",
    "customer",
    "customer_tax",
    "deleted_customer",
    "deleted_test_helpers.test_clock",
    "invoice_setting_custom_field",
    "invoice_setting_customer_rendering_options",
    "invoice_setting_customer_setting",
    "test_helpers.test_clock",
]

# (method, path) -> the 200 response schema is copied (lists are inline objects in the spec)
OPERATIONS = [
    ("get", "/v1/billing/meters"),
    ("post", "/v1/billing/meters"),
    ("get", "/v1/billing/meters/{id}"),
    ("post", "/v1/billing/meters/{id}"),
    ("post", "/v1/billing/meters/{id}/deactivate"),
    ("post", "/v1/billing/meters/{id}/reactivate"),
    ("get", "/v1/billing/meters/{id}/event_summaries"),
    ("post", "/v1/billing/meter_events"),
    ("get", "/v1/customers"),
    ("post", "/v1/customers"),
    ("get", "/v1/customers/{customer}"),
    ("post", "/v1/customers/{customer}"),
    ("delete", "/v1/customers/{customer}"),
    ("get", "/v1/test_helpers/test_clocks"),
    ("post", "/v1/test_helpers/test_clocks"),
    ("get", "/v1/test_helpers/test_clocks/{test_clock}"),
    ("delete", "/v1/test_helpers/test_clocks/{test_clock}"),
    ("post", "/v1/test_helpers/test_clocks/{test_clock}/advance"),
]

DROP = {"description", "title", "x-stripeOperations", "x-stripeResource", "x-resourceId", "x-expansionResources",
        "x-stripeBypassValidation", "x-stripeMostCommon", "x-stripeParam", "format", "example"}


def strip(node):
    """The schema without prose and SDK hints; every structural keyword is kept."""
    if isinstance(node, dict):
        return {k: strip(v) for k, v in sorted(node.items()) if k not in DROP}
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
