package dev.ledger.api.checkpoint;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param privateKey   Ed25519 signing key, base64 PKCS#8 ({@code LEDGER_CHECKPOINT_PRIVATE_KEY})
 * @param publicKey    its public key, base64 X.509 ({@code LEDGER_CHECKPOINT_PUBLIC_KEY})
 * @param everyEntries a tenant gets a checkpoint once this many entries follow its latest one
 * @param interval     and at least this often while it has entries after its latest one
 * @param origin       the deployment's name in C2SP signed checkpoints ({@code LEDGER_CHECKPOINT_ORIGIN}): a schema-less
 *                     host/path such as {@code ledger.example.com}; a tenant's checkpoints have the origin
 *                     {@code <origin>/tenants/<tenant_id>} and are signed under the key name {@code <origin>}
 */
@ConfigurationProperties(prefix = "ledger.checkpoint")
public record CheckpointProperties(String privateKey, String publicKey, @DefaultValue("10000") long everyEntries,
                                   @DefaultValue("60s") Duration interval,
                                   @DefaultValue(CheckpointProperties.LOCAL_ORIGIN) String origin) {

    /** The origin of a local stack: {@code .localhost} is reserved (RFC 6761), so no real deployment has it. */
    public static final String LOCAL_ORIGIN = "ledger.localhost";
}
