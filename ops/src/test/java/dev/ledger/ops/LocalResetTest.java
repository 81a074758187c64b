package dev.ledger.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./ledger reset}, run as a user runs it: the real script, in a checkout of its own with a local stack's state.
 * It erases the data and the monitor's memory of it, keeps the keys, and erases nothing while the stack runs or when
 * nobody confirmed.
 */
class LocalResetTest {

    private static final List<String> ERASED = List.of("pg/base/1/2619", "kafka/logs/ledger.entries-0/0.log",
            "monitor.json");
    private static final List<String> KEPT = List.of("admin-key", "checkpoint-key", "witness-key", "key-pepper",
            "service-key", "stack.env", "logs/stack.log");

    @TempDir
    Path checkout;

    private record Run(int exit, String out) {
    }

    @BeforeEach
    void aStoppedLocalStack() throws IOException {
        Files.copy(Path.of("../ledger"), checkout.resolve("ledger"));
        for (String f : concat(ERASED, KEPT)) {
            Path p = checkout.resolve(".ledger").resolve(f);
            Files.createDirectories(p.getParent());
            Files.writeString(p, "state of " + f);
        }
    }

    @Test
    void givenAStoppedStack_whenResetWithYes_thenItsDataAndTheMonitorsStateAreGoneAndItsKeysStay() throws Exception {
        Run run = reset("--yes");

        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(checkout.resolve(".ledger/pg")).doesNotExist();
        assertThat(checkout.resolve(".ledger/kafka")).doesNotExist();
        assertThat(checkout.resolve(".ledger/monitor.json")).doesNotExist();
        for (String f : KEPT) {
            assertThat(checkout.resolve(".ledger").resolve(f)).as(f).hasContent("state of " + f);
        }
        assertThat(run.out()).contains(".ledger/pg", ".ledger/kafka", "erased");

        assertThat(reset("--yes").out()).as("a second reset").contains("nothing to reset");
    }

    @Test
    void givenARunningStack_whenReset_thenItIsRefusedAndNothingIsErased() throws Exception {
        // a live process in stack.pid, as a running ./ledger up leaves it: this test's own JVM
        Files.writeString(checkout.resolve(".ledger/stack.pid"), Long.toString(ProcessHandle.current().pid()));

        Run run = reset("--yes");

        assertThat(run.exit()).isNotZero();
        assertThat(run.out()).contains("the local stack is running", "./ledger down");
        assertNothingErased();
    }

    @Test
    void givenNoTerminalToAsk_whenResetWithoutYes_thenNothingIsErased() throws Exception {
        Run run = reset();

        assertThat(run.exit()).isNotZero();
        assertThat(run.out()).contains("nothing was erased", "--yes");
        assertNothingErased();
    }

    private void assertNothingErased() {
        for (String f : concat(ERASED, KEPT)) {
            assertThat(checkout.resolve(".ledger").resolve(f)).as(f).hasContent("state of " + f);
        }
    }

    private Run reset(String... args) throws Exception {
        List<String> command = concat(List.of("bash", checkout.resolve("ledger").toString(), "reset"), List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close(); // stdin is a closed pipe, not a terminal
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
