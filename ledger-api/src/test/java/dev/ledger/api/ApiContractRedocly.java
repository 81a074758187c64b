package dev.ledger.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Redocly CLI, the OpenAPI linter, run on the machine's Node.js. The version is pinned (with its integrity hash) by
 * {@code src/test/redocly/package.json} and {@code package-lock.json}; {@code npm ci} installs exactly that once per
 * machine into a cache directory named after the lock file's digest ({@code ~/.cache/ledger/redocly/<digest>}, or
 * {@code LEDGER_REDOCLY_CACHE}), so a test run after the first spends only the lint itself (about a second). Node.js
 * ({@code node} and {@code npm} on the PATH, or in {@code LEDGER_NODE_HOME/bin}) must satisfy the CLI's engines
 * (20.19+ on the 20 line, or 22.12+).
 */
final class ApiContractRedocly {

    /** The project's files that pin and configure the linter. */
    static final Path SOURCES = Path.of("src/test/redocly");
    private static final Pattern VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)\\.(\\d+).*");
    private static final long INSTALL_TIMEOUT_SECONDS = 300;
    private static final long LINT_TIMEOUT_SECONDS = 120;

    /** One problem Redocly reports, as its JSON output gives it. */
    record Problem(String rule, String severity, String message, String where) {
        @Override
        public String toString() {
            return severity + " " + rule + " at " + where + ": " + message;
        }
    }

    private final Path node;
    private final Path cli;

    private ApiContractRedocly(Path node, Path cli) {
        this.node = node;
        this.cli = cli;
    }

    /** The pinned CLI, installed first if this machine does not have it yet. */
    static ApiContractRedocly installed() {
        Path node = executable("node");
        requireSupported(node);
        try {
            byte[] lock = Files.readAllBytes(SOURCES.resolve("package-lock.json"));
            String env = System.getenv("LEDGER_REDOCLY_CACHE");
            Path base = env != null && !env.isBlank() ? Path.of(env)
                    : Path.of(System.getProperty("user.home"), ".cache", "ledger", "redocly");
            Path dir = base.resolve(sha256(lock).substring(0, 16));
            Path cli = dir.resolve("node_modules/@redocly/cli/bin/cli.js");
            Files.createDirectories(dir);
            // one install at a time per directory, whichever JVM asks
            try (FileChannel channel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = channel.lock()) {
                Path done = dir.resolve(".installed");
                if (!Files.exists(done) || !Files.exists(cli)) {
                    Files.copy(SOURCES.resolve("package.json"), dir.resolve("package.json"), StandardCopyOption.REPLACE_EXISTING);
                    Files.write(dir.resolve("package-lock.json"), lock);
                    Path npm = executable("npm");
                    Result r = run(List.of(npm.toString(), "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--no-update-notifier",
                            "--omit-lockfile-registry-resolved"), dir, INSTALL_TIMEOUT_SECONDS, Map.of());
                    if (r.exit() != 0 || !Files.exists(cli)) {
                        throw new IllegalStateException("npm ci of the pinned @redocly/cli failed (exit " + r.exit() + "):\n" + r.output());
                    }
                    Files.writeString(done, "installed\n");
                }
            }
            return new ApiContractRedocly(node, cli);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lints {@code document} with the project's Redocly configuration; every error and warning found. */
    List<Problem> lint(Path document) {
        Path config = SOURCES.resolve("redocly.yaml").toAbsolutePath();
        Result r = run(List.of(node.toString(), cli.toString(), "lint", "--config", config.toString(), "--format", "json",
                        "--max-problems", "10000", document.toAbsolutePath().toString()), document.toAbsolutePath().getParent(),
                LINT_TIMEOUT_SECONDS, Map.of("REDOCLY_TELEMETRY", "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE", "true", "NO_COLOR", "1"));
        String out = r.output();
        int start = out.indexOf('{');
        if (start < 0) {
            throw new IllegalStateException("redocly lint printed no JSON (exit " + r.exit() + "):\n" + out);
        }
        try {
            JsonNode report = new ObjectMapper().readerFor(JsonNode.class).readValue(out.substring(start));
            List<Problem> problems = new ArrayList<>();
            for (JsonNode p : report.path("problems")) {
                JsonNode loc = p.path("location").path(0);
                problems.add(new Problem(p.path("ruleId").asText(), p.path("severity").asText(), p.path("message").asText(),
                        loc.path("pointer").asText(loc.toString())));
            }
            if (r.exit() != 0 && problems.isEmpty()) {
                throw new IllegalStateException("redocly lint failed (exit " + r.exit() + ") without naming a problem:\n" + out);
            }
            return problems;
        } catch (IOException e) {
            throw new IllegalStateException("redocly lint printed no readable JSON (exit " + r.exit() + "):\n" + out, e);
        }
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> command, Path dir, long timeoutSeconds, Map<String, String> env) {
        try {
            Path out = Files.createTempFile("redocly", ".out");
            try {
                ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                        .redirectOutput(out.toFile());
                pb.environment().putAll(env);
                Path nodeHome = executable("node").getParent();
                pb.environment().put("PATH", nodeHome + java.io.File.pathSeparator + pb.environment().getOrDefault("PATH", ""));
                Process p = pb.start();
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code name} in LEDGER_NODE_HOME/bin, else on the PATH. */
    private static Path executable(String name) {
        String home = System.getenv("LEDGER_NODE_HOME");
        List<Path> dirs = new ArrayList<>();
        if (home != null && !home.isBlank()) {
            dirs.add(Path.of(home, "bin"));
        }
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!d.isBlank()) {
                dirs.add(Path.of(d));
            }
        }
        for (Path d : dirs) {
            Path candidate = d.resolve(name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("The OpenAPI lint needs Node.js 20.19+ (or 22.12+) with npm: no '" + name
                + "' on the PATH nor in LEDGER_NODE_HOME/bin. Install Node.js (e.g. the distribution's nodejs and npm packages).");
    }

    private static void requireSupported(Path node) {
        String version = run(List.of(node.toString(), "--version"), Path.of("."), 30, Map.of()).output().strip();
        Matcher m = VERSION.matcher(version);
        if (!m.matches()) {
            throw new IllegalStateException("Cannot read the Node.js version from '" + version + "'");
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        boolean ok = major == 20 && minor >= 19 || major == 22 && minor >= 12 || major > 22;
        if (!ok) {
            throw new IllegalStateException("Node.js " + version + " at " + node + " is too old for the pinned @redocly/cli"
                    + " (needs 20.19+ on the 20 line, or 22.12+); set LEDGER_NODE_HOME to a newer one.");
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
