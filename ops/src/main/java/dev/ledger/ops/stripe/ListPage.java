package dev.ledger.ops.stripe;

import static dev.ledger.ops.stripe.FormParams.optLong;
import static dev.ledger.ops.stripe.FormParams.optString;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stripe's list object for every list endpoint: {@code limit} 1..100 (default 10), {@code starting_after} /
 * {@code ending_before} cursors naming an object's {@code id}, {@code has_more}, and the list's {@code url}.
 */
final class ListPage {
    private ListPage() {
    }

    /** One page of {@code all}, which is already in list order (Stripe lists newest first). */
    static Map<String, Object> of(String url, List<Map<String, Object>> all, Map<String, Object> params) {
        Long limitParam = optLong(params, "limit");
        long limit = limitParam == null ? 10 : limitParam;
        if (limit < 1 || limit > 100) {
            throw StripeApiException.invalid(null, "limit",
                    "Invalid limit: must be between 1 and 100, got " + limit + ".");
        }
        String after = optString(params, "starting_after");
        String before = optString(params, "ending_before");
        List<Map<String, Object>> data;
        boolean hasMore;
        if (before != null && !before.isEmpty()) {
            int idx = indexOf(all, before, "ending_before");
            int from = (int) Math.max(0, idx - limit);
            data = all.subList(from, idx);
            hasMore = from > 0;
        } else {
            int from = after == null || after.isEmpty() ? 0 : indexOf(all, after, "starting_after") + 1;
            int to = (int) Math.min(all.size(), from + limit);
            data = all.subList(from, to);
            hasMore = to < all.size();
        }
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("object", "list");
        list.put("data", new ArrayList<>(data));
        list.put("has_more", hasMore);
        list.put("url", url);
        return list;
    }

    private static int indexOf(List<Map<String, Object>> all, String id, String param) {
        for (int i = 0; i < all.size(); i++) {
            if (id.equals(all.get(i).get("id"))) {
                return i;
            }
        }
        throw StripeApiException.invalid("resource_missing", param, "No such object: '" + id + "'");
    }
}
