package dev.ledger.api.web;

import java.util.List;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.converter.ByteArrayHttpMessageConverter;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.converter.ResourceHttpMessageConverter;
import org.springframework.http.converter.ResourceRegionHttpMessageConverter;
import org.springframework.http.converter.StringHttpMessageConverter;
import org.springframework.http.converter.json.MappingJackson2HttpMessageConverter;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Spring MVC reads and writes bodies with the converters the API contract (docs/api.md) uses and no others: JSON
 * through the API's own mapper, text and bytes as written, resources. Deny by default: Spring registers a converter
 * for every format whose library is on the class path, and jackson-dataformat-yaml (there for configuration files) made
 * every endpoint answer {@code Accept: application/yaml} with YAML written by Spring's default mapper (camelCase names,
 * none of the API's rules); each extra converter is also asked about every answer.
 */
@Configuration
class ContractConverters implements WebMvcConfigurer {

    private static final List<Class<?>> KEPT = List.of(ByteArrayHttpMessageConverter.class,
            StringHttpMessageConverter.class, ResourceHttpMessageConverter.class, ResourceRegionHttpMessageConverter.class,
            MappingJackson2HttpMessageConverter.class);

    @Override
    public void extendMessageConverters(List<HttpMessageConverter<?>> converters) {
        converters.removeIf(c -> !KEPT.contains(c.getClass()));
    }
}
