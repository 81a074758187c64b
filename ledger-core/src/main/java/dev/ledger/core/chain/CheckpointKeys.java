package dev.ledger.core.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.core.messages.LedgerJson;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The public keys checkpoints may be signed with, by key_id. Rotation adds a key and keeps the old ones, so that
 * checkpoints signed before the rotation stay verifiable. Immutable.
 */
public final class CheckpointKeys {

    private final Map<String, CheckpointKey> byId;

    private CheckpointKeys(Map<String, CheckpointKey> byId) {
        this.byId = Collections.unmodifiableMap(byId);
    }

    public static CheckpointKeys of(CheckpointKey... keys) {
        return of(List.of(keys));
    }

    public static CheckpointKeys of(Collection<CheckpointKey> keys) {
        CheckpointKeys set = new CheckpointKeys(new LinkedHashMap<>());
        for (CheckpointKey key : keys) {
            set = set.with(key);
        }
        return set;
    }

    /** This set plus {@code key}. */
    public CheckpointKeys with(CheckpointKey key) {
        Map<String, CheckpointKey> next = new LinkedHashMap<>(byId);
        next.put(key.keyId(), key);
        return new CheckpointKeys(next);
    }

    public Optional<CheckpointKey> find(String keyId) {
        return Optional.ofNullable(byId.get(keyId));
    }

    public boolean contains(String keyId) {
        return byId.containsKey(keyId);
    }

    /** Key ids in the order the keys were added (oldest first). */
    public List<String> keyIds() {
        return List.copyOf(byId.keySet());
    }

    public Collection<CheckpointKey> all() {
        return byId.values();
    }

    public int size() {
        return byId.size();
    }

    /** Whether the checkpoint's key is in this set and its signature verifies with it. */
    public boolean verify(Checkpoint checkpoint) {
        CheckpointKey key = byId.get(checkpoint.keyId());
        return key != null && key.verifies(checkpoint);
    }

    /** {@code {"keys":[…]}}: the answer of GET /v1/checkpoint-keys. */
    public ObjectNode toJson() {
        ObjectNode node = LedgerJson.mapper().createObjectNode();
        ArrayNode keys = node.putArray("keys");
        byId.values().forEach(k -> keys.add(k.toJson()));
        return node;
    }

    /** Reads {@link #toJson()}'s form. */
    public static CheckpointKeys fromJson(JsonNode n) {
        JsonNode keys = n.get("keys");
        if (keys == null || !keys.isArray()) {
            throw new IllegalArgumentException("expected {\"keys\":[…]}");
        }
        List<CheckpointKey> list = new ArrayList<>();
        keys.forEach(k -> list.add(CheckpointKey.fromJson(k)));
        return of(list);
    }

    @Override
    public String toString() {
        return "CheckpointKeys" + byId.keySet();
    }
}
