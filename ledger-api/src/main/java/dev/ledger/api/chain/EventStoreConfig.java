package dev.ledger.api.chain;

import dev.ledger.core.tenant.TenantLedger;
import javax.sql.DataSource;
import org.axonframework.common.jdbc.ConnectionProvider;
import org.axonframework.common.jdbc.PersistenceExceptionResolver;
import org.axonframework.common.jdbc.UnitOfWorkAwareConnectionProviderWrapper;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.common.caching.Cache;
import org.axonframework.config.AggregateConfigurer;
import org.axonframework.config.ConfigurerModule;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;
import org.axonframework.eventhandling.tokenstore.jdbc.TokenSchema;
import org.axonframework.eventsourcing.AggregateSnapshotter;
import org.axonframework.eventsourcing.EventCountSnapshotTriggerDefinition;
import org.axonframework.eventsourcing.GenericAggregateFactory;
import org.axonframework.eventsourcing.Snapshotter;
import org.axonframework.eventhandling.EventBusSpanFactory;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.eventsourcing.eventstore.jdbc.EventSchema;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.serialization.Serializer;
import org.axonframework.spring.jdbc.SpringDataSourceConnectionProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Axon's JDBC event store and token store on PostgreSQL, declared here (not auto-configured) so that adding JPA
 * later cannot silently switch stores. Tables are created by Flyway (module schema).
 */
@Configuration
public class EventStoreConfig {

    /**
     * A cold tenant (not in {@link TenantLedgerCache}) loads from its latest snapshot plus at most this many entries,
     * about 0.1 s. Each snapshot re-reads and replays the entries since the last one, so a low threshold is a second
     * pass over every entry under load; a warm tenant never reads a snapshot at all.
     */
    static final int SNAPSHOT_EVERY = 10_000;
    /** Loaded tenant ledgers kept in memory; each is a few hundred bytes. */
    static final long CACHED_TENANTS = 100_000;
    /**
     * Snapshots are taken after the commit that crossed the threshold, on this one background thread instead of the
     * appending one: building a snapshot re-reads up to {@link #SNAPSHOT_EVERY} entries, which held up the tenant's
     * next append (a latency spike every 1,000 entries). Axon runs at most one snapshot per aggregate at a time; a
     * snapshot is only an optimisation of loading, so one that is lost at shutdown costs nothing.
     */
    private static final java.util.concurrent.Executor SNAPSHOTS = java.util.concurrent.Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("snapshotter").daemon().factory());

    @Bean
    EventSchema eventSchema() {
        return EventSchema.builder()
                .eventTable("domain_event_entry").snapshotTable("snapshot_event_entry")
                .globalIndexColumn("global_index").eventIdentifierColumn("event_identifier")
                .aggregateIdentifierColumn("aggregate_identifier").sequenceNumberColumn("sequence_number")
                .typeColumn("type").timestampColumn("time_stamp").payloadTypeColumn("payload_type")
                .payloadRevisionColumn("payload_revision").payloadColumn("payload").metaDataColumn("meta_data")
                .build();
    }

    @Bean
    ConnectionProvider connectionProvider(DataSource dataSource) {
        return new UnitOfWorkAwareConnectionProviderWrapper(new SpringDataSourceConnectionProvider(dataSource));
    }

    @Bean
    EventStorageEngine eventStorageEngine(ConnectionProvider connections, TransactionManager tx, EventSchema schema,
                                          @Qualifier("eventSerializer") Serializer eventSerializer, Serializer serializer,
                                          PersistenceExceptionResolver exceptionResolver) {
        return JdbcEventStorageEngine.builder()
                .connectionProvider(connections)
                .transactionManager(tx)
                .schema(schema)
                .dataType(byte[].class)
                .eventSerializer(eventSerializer)
                .snapshotSerializer(serializer)
                .persistenceExceptionResolver(exceptionResolver)
                .appendEvents(new ChainedAppend())
                .batchSize(1000)
                .build();
    }

    /**
     * Axon's event store as its auto-configuration declares it, except that each tracking processor reads the store
     * through its own stream instead of the shared in-memory cache of recent events. Under a sustained append load that
     * cache's producer never finishes a fetch, and every event it read since the fetch began stays reachable (not
     * only the 10,000 cached ones): ledger-api ran out of its 512 MB heap within seconds of batch load, which killed the
     * producer thread and with it Kafka publication. With one tracking processor the cache saves nothing; the
     * processor now polls the store (at most one second apart when idle, back to back while there is a backlog).
     */
    /** What Axon's JDBC auto-configuration supplies, until an event store of one's own switches that off. */
    @Bean
    PersistenceExceptionResolver persistenceExceptionResolver() {
        return new org.axonframework.eventsourcing.eventstore.jdbc.JdbcSQLErrorCodesResolver();
    }

    @Bean(name = "eventBus")
    @Qualifier("eventStore")
    EmbeddedEventStore eventStore(EventStorageEngine storageEngine, org.axonframework.config.Configuration configuration) {
        return EmbeddedEventStore.builder()
                .storageEngine(storageEngine)
                .messageMonitor(configuration.messageMonitor(EventStore.class, "eventStore"))
                .spanFactory(configuration.getComponent(EventBusSpanFactory.class))
                .optimizeEventConsumption(false)
                .build();
    }

    @Bean
    TokenStore tokenStore(ConnectionProvider connections, Serializer serializer) {
        return JdbcTokenStore.builder()
                .connectionProvider(connections)
                .serializer(serializer)
                .schema(TokenSchema.builder().setTokenTable("token_entry").setProcessorNameColumn("processor_name")
                        .setSegmentColumn("segment").setTokenColumn("token").setTokenTypeColumn("token_type")
                        .setTimestampColumn("timestamp").setOwnerColumn("owner").build())
                .contentType(byte[].class)
                .build();
    }

    @Bean
    Cache tenantLedgerCache() {
        return new TenantLedgerCache(CACHED_TENANTS);
    }

    /** Registers the domain's aggregate without putting Spring annotations into ledger-core. */
    @Bean
    ConfigurerModule tenantLedgerAggregate(Cache tenantLedgerCache) {
        return configurer -> configurer.configureAggregate(
                AggregateConfigurer.defaultConfiguration(TenantLedger.class).configureCache(c -> tenantLedgerCache)
                        .configureSnapshotTrigger(c -> new EventCountSnapshotTriggerDefinition(snapshotter(c), SNAPSHOT_EVERY)));
    }

    private static Snapshotter snapshotter(org.axonframework.config.Configuration c) {
        return AggregateSnapshotter.builder().eventStore(c.eventStore()).transactionManager(c.getComponent(TransactionManager.class))
                .aggregateFactories(new GenericAggregateFactory<>(TenantLedger.class)).executor(SNAPSHOTS).build();
    }
}
