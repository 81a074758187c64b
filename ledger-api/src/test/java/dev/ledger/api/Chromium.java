package dev.ledger.api;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.logging.Level;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * A headless Debian Chromium driven by its chromedriver, with a profile of its own that {@link #close()} deletes:
 * for the console's browser test and benchmark. {@code LEDGER_CHROMIUM} and {@code LEDGER_CHROMEDRIVER} name other
 * binaries than {@code /usr/bin}'s.
 */
public final class Chromium implements AutoCloseable {

    public static final Path BINARY = Path.of(System.getenv().getOrDefault("LEDGER_CHROMIUM", "/usr/bin/chromium"));
    public static final Path DRIVER = Path.of(System.getenv().getOrDefault("LEDGER_CHROMEDRIVER", "/usr/bin/chromedriver"));

    private final Path profile;
    private final ChromeDriver driver;

    private Chromium() throws Exception {
        profile = Files.createTempDirectory("console-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BINARY.toFile());
        // as the machine's notes say: without the background-networking switches Chromium keeps calling out and is refused
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1360,1000", "--user-data-dir=" + profile);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    }

    /** Whether both binaries are here. */
    public static boolean available() {
        return Files.isExecutable(BINARY) && Files.isExecutable(DRIVER);
    }

    /** What to say when they are not. */
    public static String absence() {
        return "no Chromium here (" + BINARY + ", " + DRIVER + "): install chromium and chromium-driver "
                + "(./ledger test does when it may) to run the console's browser tests";
    }

    public static Chromium start() throws Exception {
        return new Chromium();
    }

    public ChromeDriver driver() {
        return driver;
    }

    @Override
    public void close() throws Exception {
        driver.quit();
        try (var files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
