package dev.ledger.ops.stripe;

import java.util.Map;

/** A list's {@code created} filter: {@code created=t} or any of {@code created[gt|gte|lt|lte]=t}, checked by the caller's schema. */
record Created(long gt, long gte, long lt, long lte) {
    private static final Created ANY = new Created(Long.MIN_VALUE, Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);

    static Created of(Map<String, Object> params) {
        return of(params, "created");
    }

    static Created of(Map<String, Object> params, String name) {
        Object raw = params.get(name);
        if (raw == null) {
            return ANY;
        }
        if (raw instanceof String s) {
            long t = Long.parseLong(s);
            return new Created(Long.MIN_VALUE, t, Long.MAX_VALUE, t);
        }
        Map<?, ?> m = (Map<?, ?>) raw;
        return new Created(bound(m, "gt", Long.MIN_VALUE), bound(m, "gte", Long.MIN_VALUE),
                bound(m, "lt", Long.MAX_VALUE), bound(m, "lte", Long.MAX_VALUE));
    }

    private static long bound(Map<?, ?> m, String key, long none) {
        Object v = m.get(key);
        return v == null ? none : Long.parseLong((String) v);
    }

    boolean contains(long t) {
        return t > gt && t >= gte && t < lt && t <= lte;
    }
}
