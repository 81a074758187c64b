package dev.ledger.api.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.CacheControl;
import org.springframework.web.servlet.config.annotation.ResourceHandlerRegistry;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The web console: static files under {@code /console/}, the chart library (the npm package uPlot, as its webjar) under
 * {@code /console/vendor/uplot/}. Nothing here holds data or a key: the pages ask the API with the key the user signs in
 * with, which stays in the tab's session storage. Every console answer carries a strict Content-Security-Policy (scripts,
 * styles and connections from this origin only, no inline code, no framing), set with every other answer's security
 * headers by {@link dev.ledger.api.web.SecurityHeaders}.
 */
@Configuration
class ConsoleConfig implements WebMvcConfigurer {


    /** The uPlot version on the class path, read from its webjar, so the pom alone names it. */
    static final String UPLOT_VERSION = webjarVersion("uplot");

    @Override
    public void addResourceHandlers(ResourceHandlerRegistry registry) {
        registry.addResourceHandler("/console/vendor/uplot/**")
                .addResourceLocations("classpath:/META-INF/resources/webjars/uplot/" + UPLOT_VERSION + "/dist/")
                .setCacheControl(CacheControl.maxAge(1, TimeUnit.DAYS));
        registry.addResourceHandler("/console/**")
                .addResourceLocations("classpath:/console/")
                .setCacheControl(CacheControl.noCache());
    }

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addViewController("/console").setViewName("forward:/console/index.html");
        registry.addViewController("/console/").setViewName("forward:/console/index.html");
    }

    private static String webjarVersion(String name) {
        String path = "META-INF/maven/org.webjars.npm/" + name + "/pom.properties";
        try (InputStream in = ConsoleConfig.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("the console's " + name + " webjar is not on the class path (" + path + ")");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
