package dev.ledger.api.read;

import dev.ledger.api.web.ApiProblem;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * Admission of reads of a tenant's chain. Long reads (verification, export) hold a read connection for their whole
 * scan: at most {@code tenantLongReads} per tenant and {@code poolSize} in all run at once; beyond, 429
 * {@code long_read_limited}. Every read also pays into the tenant's cost bucket (Bucket4j), a long read by the
 * entries it scans, so one auditor's full scans cannot crowd out everyone's; beyond, 429 {@code read_rate_limited}.
 * Both answers carry Retry-After. Keyed by the tenant whose chain is read, whoever asks.
 */
@Component
public class ReadLimits {

    /** What a tenant holds while its long read runs; closing it lets the next one in. */
    public interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    private final ReadProperties props;
    private final Semaphore total;
    private final ConcurrentHashMap<String, Semaphore> running = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Bucket> cost = new ConcurrentHashMap<>();

    public ReadLimits(ReadProperties props) {
        this.props = props;
        this.total = new Semaphore(props.poolSize());
    }

    /** A cheap read (a page of entries, a proof, a checkpoint): one unit of the tenant's read cost. */
    public void cheap(String tenantId) {
        pay(tenantId, 1);
    }

    /** Admits a long read scanning about {@code entries} entries of the tenant's chain, or answers 429. */
    public Permit longRead(String tenantId, long entries) {
        pay(tenantId, Math.max(1, entries / props.entriesPerCost()));
        Semaphore own = running.computeIfAbsent(tenantId, t -> new Semaphore(props.tenantLongReads()));
        if (!own.tryAcquire()) {
            throw limited(HttpStatus.TOO_MANY_REQUESTS, "long_read_limited", 2, "This tenant already has "
                    + props.tenantLongReads() + " verifications or exports running; retry when one has finished.");
        }
        if (!total.tryAcquire()) {
            own.release();
            throw limited(HttpStatus.TOO_MANY_REQUESTS, "long_read_limited", 2,
                    "The ledger is running as many verifications and exports as it allows at once; retry shortly.");
        }
        boolean[] closed = {false};
        return () -> {
            synchronized (closed) {
                if (!closed[0]) {
                    closed[0] = true;
                    total.release();
                    own.release();
                }
            }
        };
    }

    private void pay(String tenantId, long units) {
        Bucket bucket = cost.computeIfAbsent(tenantId, t -> Bucket.builder().addLimit(Bandwidth.builder()
                .capacity(props.costBurst()).refillGreedy(props.costPerSecond(), Duration.ofSeconds(1)).build()).build());
        // a scan larger than the whole burst is admitted once the bucket is full, and leaves it empty
        long charge = Math.min(units, props.costBurst());
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(charge);
        if (!probe.isConsumed()) {
            long seconds = Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
            throw limited(HttpStatus.TOO_MANY_REQUESTS, "read_rate_limited", seconds, "Reads of this tenant's chain are above its"
                    + " read budget (a verification or export costs by the entries it scans); retry after " + seconds + " s.");
        }
    }

    /** 429 long_read_limited with Retry-After, for a refusal of a long read outside this class's own admission. */
    public static ApiProblem longReadLimited(String detail) {
        return limited(HttpStatus.TOO_MANY_REQUESTS, "long_read_limited", 2, detail);
    }

    private static ApiProblem limited(HttpStatus status, String code, long retryAfterSeconds, String detail) {
        if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attrs) {
            HttpServletResponse response = attrs.getResponse();
            if (response != null && !response.isCommitted()) {
                response.setHeader("Retry-After", Long.toString(retryAfterSeconds));
            }
        }
        return new ApiProblem(status, code, detail);
    }
}
