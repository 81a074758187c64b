/**
 * The ledger's domain. A named module so one sealed family may span feature packages (JLS 8.1.6); the services run it
 * on the class path all the same.
 */
module dev.ledger.core {
    requires transitive com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.datatype.jsr310;
    requires java.net.http;
    requires transitive org.axonframework.messaging;
    requires transitive org.axonframework.modelling;
    requires transitive org.axonframework.eventsourcing;

    exports dev.ledger.core.chain;
    exports dev.ledger.core.config;
    exports dev.ledger.core.entry;
    exports dev.ledger.core.messages;
    exports dev.ledger.core.tenant;
    exports dev.ledger.core.verify;
    exports dev.ledger.core.evaluation;
    exports dev.ledger.core.usage;
    exports dev.ledger.core.keys;
    exports dev.ledger.core.audit;
    exports dev.ledger.core.trace;

    opens dev.ledger.core.messages;
    opens dev.ledger.core.tenant;
    opens dev.ledger.core.chain;
    opens dev.ledger.core.verify;
    opens dev.ledger.core.evaluation;
    opens dev.ledger.core.usage;
    opens dev.ledger.core.keys;
    opens dev.ledger.core.audit;
}
