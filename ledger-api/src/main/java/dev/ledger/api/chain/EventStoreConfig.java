package dev.ledger.api.chain;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.core.entry.EntryTypeSerializer;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.tenant.TenantLedger;
import java.time.Duration;
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

    /**
     * The store's serializer: entries are stored under their logical type and revision (ledger-core
     * {@code EntryTypes}), never their Java class name, so moving a message class changes no stored or hashed byte;
     * the tenant's snapshots too. Declared here, Axon's auto-configured one steps aside.
     */
    @Bean
    @Qualifier("eventSerializer")
    Serializer eventSerializer(ObjectMapper json) {
        return EntryTypeSerializer.using(json);
    }

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

    /** How long and how far the publisher waits for a taken global index (refuses unsafe settings at start). */
    @Bean
    GapBounds publicationGapBounds(PublicationProperties publication, DataSource dataSource) {
        return GapBounds.of(publication, poolSize(dataSource));
    }

    @Bean
    EventStorageEngine eventStorageEngine(ConnectionProvider connections, TransactionManager tx, EventSchema schema,
                                          @Qualifier("eventSerializer") Serializer eventSerializer,
                                          PersistenceExceptionResolver exceptionResolver, PublicationProperties publication,
                                          GapBounds gaps) {
        return JdbcEventStorageEngine.builder()
                .connectionProvider(connections)
                .transactionManager(tx)
                .schema(schema)
                .dataType(byte[].class)
                .eventSerializer(eventSerializer)
                .snapshotSerializer(eventSerializer)
                .snapshotFilter(EventStoreConfig::currentSnapshot)
                .persistenceExceptionResolver(exceptionResolver)
                .appendEvents(new ChainedAppend(publication.maxEntryBytes(), publication.appendTransactionTimeout()))
                .batchSize(1000)
                .maxGapOffset(gaps.maxGapOffset())
                .gapTimeout(gaps.gapTimeoutMillis())
                .cleanGaps(EventStoreConfig::cleanGaps)
                .build();
    }

    /**
     * A snapshot is only a cache of the replayed state: one stored under another name or revision than the current
     * one (the aggregate's fields changed since) is passed over and the tenant is replayed from its entries instead.
     */
    private static boolean currentSnapshot(org.axonframework.eventhandling.DomainEventData<?> snapshot) {
        org.axonframework.serialization.SerializedType type = snapshot.getPayload().getType();
        return EntryTypes.TENANT_LEDGER_SNAPSHOT.name().equals(type.getName())
                && EntryTypes.TENANT_LEDGER_SNAPSHOT.revision().equals(type.getRevision());
    }

    /** Rows read per gap clean-up: a token's gaps may span a wide range of indexes, and each pass goes on from the last. */
    static final int GAP_CLEANING_ROWS = 10_000;

    /**
     * Axon's clean-up query (the rows from the first gap to the last, oldest first, until one is younger than the gap
     * timeout), read at most {@link #GAP_CLEANING_ROWS} at a time: the gap offset is large, and Axon's own query would
     * load every row of that range into memory at once.
     */
    private static java.sql.PreparedStatement cleanGaps(java.sql.Connection connection, EventSchema schema,
                                                        java.util.SortedSet<Long> gaps) throws java.sql.SQLException {
        java.sql.PreparedStatement statement = connection.prepareStatement("select global_index, time_stamp from domain_event_entry"
                + " where global_index >= ? and global_index <= ? order by global_index limit " + GAP_CLEANING_ROWS);
        statement.setLong(1, gaps.first());
        statement.setLong(2, gaps.last() + 1L);
        return statement;
    }

    private static int poolSize(DataSource dataSource) {
        try {
            if (dataSource.isWrapperFor(com.zaxxer.hikari.HikariDataSource.class)) {
                return dataSource.unwrap(com.zaxxer.hikari.HikariDataSource.class).getMaximumPoolSize();
            }
        } catch (java.sql.SQLException e) {
            // not a pool we can read: refused below
        }
        throw new IllegalStateException("ledger-api needs its Hikari pool to bound the appends in flight, not a "
                + dataSource.getClass().getSimpleName());
    }

    /**
     * Which committed entries the publisher may give up on: none. An append takes its global indexes when it inserts
     * and is cut off by PostgreSQL within the append bound (transaction_timeout), so a taken index is committed or
     * gone within that bound. The publisher waits that long for it: the gap timeout covers three bounds, and the gap
     * offset covers every index the pool can take meanwhile (each connection commits a full batch at most every
     * {@link #SHORTEST_BATCH_COMMIT}, far quicker than measured).
     */
    record GapBounds(int maxGapOffset, int gapTimeoutMillis) {

        static final Duration SHORTEST_BATCH_COMMIT = Duration.ofMillis(10);

        static GapBounds of(PublicationProperties p, int poolSize) {
            Duration bound = p.appendTransactionTimeout();
            if (bound.isZero() || bound.isNegative() || bound.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalStateException("LEDGER_PUBLICATION_APPEND_TRANSACTION_TIMEOUT must be between 1 ms and 5 minutes");
            }
            if (p.gapTimeout().compareTo(bound.multipliedBy(3)) < 0 || p.gapTimeout().toMillis() > Integer.MAX_VALUE) {
                throw new IllegalStateException("LEDGER_PUBLICATION_GAP_TIMEOUT (" + p.gapTimeout() + ") must be at least three"
                        + " append transaction bounds (" + bound.multipliedBy(3) + "), or a slow commit could be skipped");
            }
            long inFlightAtOnce = Math.multiplyExact((long) poolSize, AppendBatcher.MAX_BATCH);
            long batchesPerBound = Math.max(1, (bound.toMillis() + SHORTEST_BATCH_COMMIT.toMillis() - 1) / SHORTEST_BATCH_COMMIT.toMillis());
            long derived = Math.min(Integer.MAX_VALUE, Math.multiplyExact(inFlightAtOnce, batchesPerBound));
            int offset = p.maxGapOffset() == 0 ? (int) derived : p.maxGapOffset();
            if (offset < 2 * inFlightAtOnce) {
                throw new IllegalStateException("LEDGER_PUBLICATION_MAX_GAP_OFFSET (" + offset + ") must be at least twice the global"
                        + " indexes the pool can hold in flight at once (" + poolSize + " connections x " + AppendBatcher.MAX_BATCH
                        + " entries = " + inFlightAtOnce + "), or a slow commit could be skipped");
            }
            return new GapBounds(offset, (int) p.gapTimeout().toMillis());
        }
    }

    /**
     * Axon's event store as its auto-configuration declares it, except that each tracking processor reads the store
     * through its own stream instead of the shared in-memory cache of recent events. Under a sustained append load that
     * cache's producer never finishes a fetch, and every event it read since the fetch began stays reachable (not
     * only the 10,000 cached ones): ledger-api ran out of its 512 MB heap within seconds of batch load, which killed the
     * producer thread and with it Kafka publication. No tracking processor reads the store now (the publisher reads
     * its rows itself, EntryPublisher), so the cache would save nothing.
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
