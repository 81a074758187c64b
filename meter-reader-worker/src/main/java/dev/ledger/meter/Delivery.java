package dev.ledger.meter;

/** How one outgoing call ended: done, worth retrying later, or refused for good (park it, never drop it). */
sealed interface Delivery {

    Delivery DONE = new Done();

    record Done() implements Delivery {
    }

    record Retry(String reason) implements Delivery {
    }

    record Park(String reason) implements Delivery {
    }
}
