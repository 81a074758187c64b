package dev.ledger.api;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

@SpringBootApplication
@ConfigurationPropertiesScan
@EnableScheduling
public class LedgerApiApplication {

    public static void main(String[] args) {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        SpringApplication.run(LedgerApiApplication.class, args);
    }
}
