package dev.ledger.api.chain;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.chain.Sha256;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

/** "Same body" for idempotency means the same parsed request, independent of whitespace and member order. */
public final class RequestDigest {

    private RequestDigest() {
    }

    public static byte[] of(Object request) {
        try {
            return Sha256.of(LedgerJson.mapper().writeValueAsBytes(request));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("request not serializable", e);
        }
    }

    /** The first answer, again, with {@code Idempotent-Replayed: true} when it is a replay. */
    public static <T> ResponseEntity<T> answer(HttpStatus status, LedgerWriter.Written written, T body) {
        ResponseEntity.BodyBuilder b = ResponseEntity.status(status);
        if (written.replayed()) {
            b.header("Idempotent-Replayed", "true");
        }
        return b.body(body);
    }
}
