package dev.ledger.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The meter-reader as its own OS process ({@code java -cp <this JVM's class path> dev.ledger.meter.MeterReaderMain}),
 * configured only through its environment, as a deployment runs it. {@link #kill()} is SIGKILL: no shutdown hook, no
 * rollback, no goodbye to Kafka or PostgreSQL.
 */
final class MeterReaderProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;
    private final long startedAt = System.nanoTime();

    private MeterReaderProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code MeterReaderMain} with exactly these worker settings; its output goes to {@code logDir/name.log}. */
    static MeterReaderProcess start(String name, Map<String, String> env, Path logDir) throws IOException {
        Files.createDirectories(logDir);
        Path log = logDir.resolve(name + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // Surefire may hand over a manifest-only jar as the class path; -cp honours its Class-Path entries.
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.ledger.meter.MeterReaderMain"))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        // Settings inherited from the developer's shell must not leak into the worker under test.
        pb.environment().keySet().removeIf(k -> k.startsWith("METER_") || k.startsWith("STRIPE_") || k.startsWith("LEDGER_")
                || k.equals("DATABASE_URL") || k.startsWith("KAFKA_") || k.equals("JAVA_TOOL_OPTIONS"));
        pb.environment().putAll(env);
        return new MeterReaderProcess(name, pb.start(), log);
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Seconds since it was started. */
    double uptime() {
        return (System.nanoTime() - startedAt) / 1e9;
    }

    /** It has logged that its consumer and reporter run (it was past start-up when this answers true). */
    boolean started() {
        return log().contains("meter-reader started");
    }

    /** Waits until it has {@linkplain #started() started}; false when it has not within the timeout or died. */
    boolean awaitStarted(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && process.isAlive()) {
            if (started()) {
                return true;
            }
            LockSupport.parkNanos(50_000_000L);
        }
        return started();
    }

    /** SIGKILL ({@link Process#destroyForcibly()} on Linux), then waits until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + " (pid " + pid() + ") survived SIGKILL");
        }
    }

    String log() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last {@code lines} lines of its output, for a failure message. */
    String logTail(int lines) {
        List<String> all = log().lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** SIGTERM (an orderly stop) if it still runs; SIGKILL when it does not stop within 20 s. */
    @Override
    public void close() throws InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            kill();
        }
    }
}
