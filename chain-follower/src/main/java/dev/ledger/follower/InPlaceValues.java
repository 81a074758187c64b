package dev.ledger.follower;

import java.nio.ByteBuffer;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Record values as the consumer fetched them: the record's bytes in place (a heap buffer over the fetch response, or
 * over the record's own buffer when its batch was compressed), not a copy per record. The consumer neither reuses nor
 * changes those buffers, so a value may be kept after the poll that returned it (the follower keeps it until the poll
 * is applied). A direct buffer, which has no array to read in place, is copied.
 */
final class InPlaceValues implements Deserializer<ByteBuffer> {

    @Override
    public ByteBuffer deserialize(String topic, byte[] data) {
        return data == null ? null : ByteBuffer.wrap(data);
    }

    @Override
    public ByteBuffer deserialize(String topic, Headers headers, ByteBuffer data) {
        if (data == null || data.hasArray()) {
            return data;
        }
        return ByteBuffer.wrap(ChainFollower.bytes(data));
    }
}
