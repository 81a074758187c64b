package dev.ledger.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyName;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.internal.KubernetesDeserializer;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The deployment artifacts of ops/deploy hold what an operator relies on. Every YAML document under
 * ops/deploy/kubernetes is read strictly into fabric8's typed Kubernetes model: a misspelled field, a value of the
 * wrong type, a doubled key or an unknown kind fails here, naming the file, the document and the field, instead of
 * at {@code kubectl apply} (or never: an unknown field of a client-side apply is dropped with a warning at most).
 * Then: ledger-api runs at least two replicas behind a Service, a disruption budget and an autoscaler; every
 * container has liveness on /health and readiness on /ready at its own port, requests and limits, and runs as a
 * non-root user without privilege on a read-only root filesystem; a variable named like a credential only ever comes
 * from the service's own Secret; and every Dockerfile runs its service's jar as the same non-root user.
 *
 * <p>fabric8 is lenient by design: each model class keeps unknown fields in {@code additionalProperties} through a
 * {@code @JsonAnySetter}, so {@code FAIL_ON_UNKNOWN_PROPERTIES} alone never fires (the first strictness test shows
 * it). {@link #STRICT} removes the any-setter from every fabric8 class it deserializes and turns Jackson's scalar
 * coercions off, as the API server's own decoding has none ({@code replicas: "2"} is refused there too).
 */
class DeployManifestsTest {

    static final Path REPO = Path.of("").toAbsolutePath().getParent();
    static final Path KUBERNETES = REPO.resolve("ops/deploy/kubernetes");
    static final Path DOCKER = REPO.resolve("ops/deploy/docker");
    static final String NAMESPACE = "ledger";
    static final List<String> SERVICES = List.of("ledger-api", "meter-reader-worker", "invoice-worker");
    /** The witness's image, and the port it listens on unless WITNESS_PORT says otherwise (witness/README.md). */
    static final String WITNESS = "witness";
    static final int WITNESS_PORT = 8083;
    /** Variables carrying a credential: a key, a secret, a password, the pepper, a token, a JAAS line, a database URL. */
    static final Pattern CREDENTIAL = Pattern.compile("KEY|SECRET|PASSWORD|PEPPER|TOKEN|JAAS|DATABASE_URL");
    /** Values that are credentials whatever their variable is called. */
    static final Pattern CREDENTIAL_VALUE = Pattern.compile("(sk|rk)_(live|test)_|whsec_|lk_admin_|password=|://[^/@\\s]+:[^/@\\s]+@");
    /** Each service's port variable and, for the workers, the variable that must open the probe port to the pod's IP. */
    static final Map<String, List<String>> PORT_AND_BIND = Map.of(
            "ledger-api", List.of("PORT"),
            "meter-reader-worker", List.of("METER_READER_PORT", "METER_READER_BIND_ADDRESS"),
            "invoice-worker", List.of("INVOICE_WORKER_PORT", "INVOICE_WORKER_BIND_ADDRESS"));

    static final ObjectMapper STRICT = strictMapper();
    /** fabric8's own table of apiVersion and kind to model class (every model module on the class path). */
    static final KubernetesDeserializer KINDS = new KubernetesDeserializer();

    /** One YAML document of a manifest file, where it starts, and what it became. */
    record Document(Path file, int index, int line, HasMetadata resource) {
        String where() {
            return REPO.relativize(file) + ", document " + index + " (line " + line + ", " + resource.getKind() + " "
                    + resource.getMetadata().getName() + ")";
        }
    }

    static List<Document> documents;

    @BeforeAll
    static void load() throws IOException {
        documents = new ArrayList<>();
        for (Path file : manifestFiles()) {
            documents.addAll(read(file, Files.readString(file)));
        }
    }

    /** A mapper that refuses what the API server refuses: unknown fields, other types, doubled keys. */
    static ObjectMapper strictMapper() {
        SimpleModule noAdditionalProperties = new SimpleModule("fabric8-without-additional-properties");
        noAdditionalProperties.setDeserializerModifier(new BeanDeserializerModifier() {
            @Override
            public BeanDeserializerBuilder updateBuilder(DeserializationConfig config, BeanDescription bean,
                                                         BeanDeserializerBuilder builder) {
                if (bean.getBeanClass().getName().startsWith("io.fabric8.")) {
                    builder.setAnySetter(null);
                    // setAdditionalProperties(Map) would otherwise be bound as a field of that name
                    builder.removeProperty(PropertyName.construct("additionalProperties"));
                    builder.setIgnoreUnknownProperties(false);
                }
                return builder;
            }
        });
        ObjectMapper mapper = YAMLMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .addModule(noAdditionalProperties)
                .build();
        // a number or a boolean where the model has a string (an env value, a label): the API server refuses it
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return mapper;
    }

    static List<Path> manifestFiles() throws IOException {
        try (Stream<Path> files = Files.walk(KUBERNETES)) {
            return files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        }
    }

    /** Every document of one file, each read strictly into its kind's model class; the first failure names where. */
    static List<Document> read(Path file, String yaml) throws IOException {
        List<Document> read = new ArrayList<>();
        try (JsonParser parser = STRICT.getFactory().createParser(yaml)) {
            int index = 0;
            for (JsonToken token = next(parser, file); token != null; token = next(parser, file)) {
                index++;
                int line = parser.currentTokenLocation().getLineNr();
                String where = REPO.relativize(file) + ", document " + index + " (line " + line + ")";
                if (token != JsonToken.START_OBJECT) {
                    throw new AssertionError(where + ": not a Kubernetes object but " + token);
                }
                JsonNode node;
                try {
                    node = STRICT.readTree(parser);
                } catch (JacksonException e) {
                    throw new AssertionError(where + ": " + e.getOriginalMessage(), e);
                }
                String apiVersion = node.path("apiVersion").asText(null);
                String kind = node.path("kind").asText(null);
                Class<? extends KubernetesResource> type = apiVersion == null || kind == null ? null
                        : KINDS.getRegisteredKind(apiVersion, kind);
                if (type == null || !HasMetadata.class.isAssignableFrom(type)) {
                    throw new AssertionError(where + ": apiVersion " + apiVersion + ", kind " + kind
                            + " is not a kind of fabric8's model (mistyped, or its model module is missing from ops/pom.xml)");
                }
                String what = where + ", " + kind + " " + node.path("metadata").path("name").asText("?");
                try {
                    read.add(new Document(file, index, line, (HasMetadata) STRICT.treeToValue(node, type)));
                } catch (JsonMappingException e) {
                    throw new AssertionError(what + ": " + describe(e), e);
                } catch (JacksonException e) {
                    throw new AssertionError(what + ": " + e.getOriginalMessage(), e);
                }
            }
        }
        return read;
    }

    /** The next token; a YAML syntax error names the file (the parser's message has the line and column). */
    static JsonToken next(JsonParser parser, Path file) {
        try {
            return parser.nextToken();
        } catch (IOException e) {
            throw new AssertionError(REPO.relativize(file) + ": " + e.getMessage(), e);
        }
    }

    /** The field's path in the document, Jackson's reason, and for a misspelling the fields that are there. */
    static String describe(JsonMappingException e) {
        String path = e.getPath().stream()
                .map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining()).replaceFirst("^\\.", "");
        String known = "";
        if (e instanceof UnrecognizedPropertyException u && u.getKnownPropertyIds() != null) {
            known = "; the fields there are " + u.getKnownPropertyIds().stream().map(String::valueOf).sorted()
                    .collect(Collectors.joining(", "));
        }
        return "at " + path + ": " + e.getOriginalMessage() + known;
    }

    // --- the loader is strict: each of these would pass fabric8's own, lenient reading --------------------------------

    static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: probe
              namespace: ledger
            spec:
              %s
              selector:
                matchLabels: {app: probe}
              template:
                metadata:
                  labels: {app: probe}
                spec:
                  containers:
                    - name: probe
                      image: probe:1
                      env:
                        - name: A
                          %s
            """;

    static List<Document> readSnippet(String spec, String env) throws IOException {
        return read(KUBERNETES.resolve("snippet.yaml"), DEPLOYMENT.formatted(spec, env));
    }

    @Test
    void givenAMisspelledFieldThenFabric8AloneKeepsItQuietlyAndTheStrictLoaderNamesIt() throws IOException {
        String misspelled = DEPLOYMENT.formatted("replica: 2", "value: a");
        // fabric8's model with FAIL_ON_UNKNOWN_PROPERTIES: no error, the field lands in additionalProperties
        Deployment lenient = new YAMLMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .readValue(misspelled, Deployment.class);
        assertThat(lenient.getSpec().getReplicas()).isNull();
        assertThat(lenient.getSpec().getAdditionalProperties()).containsEntry("replica", 2);

        assertThatThrownBy(() -> readSnippet("replica: 2", "value: a"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("ops/deploy/kubernetes/snippet.yaml, document 1 (line 1), Deployment probe")
                .hasMessageContaining("at spec.replica: Unrecognized field \"replica\"")
                .hasMessageContaining("DeploymentSpec")
                .hasMessageContaining("the fields there are minReadySeconds, paused, progressDeadlineSeconds, replicas,");
        assertThatThrownBy(() -> readSnippet("replicas: 2", "valu: a"))
                .hasMessageContaining("at spec.template.spec.containers[0].env[0].valu: Unrecognized field \"valu\"");
    }

    @Test
    void givenAValueOfTheWrongTypeThenTheStrictLoaderRefusesIt() {
        assertThatThrownBy(() -> readSnippet("replicas: two", "value: a")).hasMessageContaining("at spec.replicas:");
        assertThatThrownBy(() -> readSnippet("replicas: \"2\"", "value: a")).hasMessageContaining("at spec.replicas:");
        assertThatThrownBy(() -> readSnippet("replicas: 2", "value: 8080"))
                .hasMessageContaining("at spec.template.spec.containers[0].env[0].value:");
        assertThatThrownBy(() -> readSnippet("paused: \"false\"", "value: a")).hasMessageContaining("at spec.paused:");
    }

    @Test
    void givenADoubledKeyOrAnUnknownKindThenTheStrictLoaderRefusesIt() throws IOException {
        assertThatThrownBy(() -> readSnippet("replicas: 2\n  replicas: 3", "value: a"))
                .hasMessageContaining("snippet.yaml, document 1").hasMessageContaining("replicas");
        assertThatThrownBy(() -> read(KUBERNETES.resolve("snippet.yaml"), "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: x}\n"))
                .hasMessageContaining("apiVersion apps/v1, kind Deploymnet is not a kind of fabric8's model");
        // and a well-formed snippet reads
        assertThat(readSnippet("replicas: 2", "value: a")).singleElement()
                .satisfies(d -> assertThat(((Deployment) d.resource()).getSpec().getReplicas()).isEqualTo(2));
    }

    // --- the manifests --------------------------------------------------------------------------------------------

    @Test
    void givenTheManifestsThenEveryObjectIsInTheLedgerNamespaceAndNoSecretIsShipped() {
        assertThat(documents).extracting(d -> d.resource().getKind() + "/" + d.resource().getMetadata().getName())
                .contains("Namespace/ledger", "ConfigMap/ledger-common", "Deployment/ledger-api", "Service/ledger-api",
                        "PodDisruptionBudget/ledger-api", "HorizontalPodAutoscaler/ledger-api",
                        "Deployment/meter-reader-worker", "Deployment/invoice-worker")
                .doesNotHaveDuplicates();
        for (Document d : documents) {
            if (d.resource() instanceof Namespace) {
                continue;
            }
            assertThat(d.resource().getMetadata().getNamespace()).as(d.where()).isEqualTo(NAMESPACE);
        }
        // applying the folder never replaces the real credentials with placeholders: Secrets are made by hand (README)
        assertThat(documents).as("Secrets in ops/deploy/kubernetes")
                .noneMatch(d -> d.resource().getKind().equals("Secret"));
    }

    @Test
    void givenLedgerApiThenAtLeastTwoReplicasServeBehindAServiceADisruptionBudgetAndAnAutoscaler() {
        Deployment api = deployment("ledger-api");
        assertThat(api.getSpec().getReplicas()).as("ledger-api replicas").isGreaterThanOrEqualTo(2);
        Map<String, String> podLabels = api.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(podLabels).containsAllEntriesOf(api.getSpec().getSelector().getMatchLabels());

        Service service = one(Service.class, "ledger-api");
        assertThat(podLabels).as("the Service selects ledger-api's pods").containsAllEntriesOf(service.getSpec().getSelector());
        for (ServicePort port : service.getSpec().getPorts()) {
            assertThat(containerPort(api.getSpec().getTemplate().getSpec().getContainers().get(0), port.getTargetPort()))
                    .as("the Service's target port " + port.getTargetPort()).isPresent();
        }

        PodDisruptionBudget budget = one(PodDisruptionBudget.class, "ledger-api");
        assertThat(podLabels).containsAllEntriesOf(budget.getSpec().getSelector().getMatchLabels());
        assertThat(budget.getSpec().getMinAvailable().getIntVal()).as("minAvailable leaves an instance to drain")
                .isBetween(1, api.getSpec().getReplicas() - 1);

        HorizontalPodAutoscaler autoscaler = one(HorizontalPodAutoscaler.class, "ledger-api");
        assertThat(autoscaler.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(autoscaler.getSpec().getScaleTargetRef().getName()).isEqualTo("ledger-api");
        assertThat(autoscaler.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(2).isEqualTo(api.getSpec().getReplicas());
        assertThat(autoscaler.getSpec().getMaxReplicas()).isGreaterThanOrEqualTo(autoscaler.getSpec().getMinReplicas());
    }

    @Test
    void givenEveryServiceThenEachDeploymentsSelectorMatchesItsPodsAndEveryWorkerHasABudget() {
        for (String name : SERVICES) {
            Deployment d = deployment(name);
            assertThat(d.getSpec().getTemplate().getMetadata().getLabels()).as(name)
                    .containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels());
            assertThat(d.getSpec().getReplicas()).as(name + " replicas").isGreaterThanOrEqualTo(1);
            assertThat(one(PodDisruptionBudget.class, name).getSpec().getSelector().getMatchLabels()).as(name)
                    .isEqualTo(d.getSpec().getSelector().getMatchLabels());
        }
    }

    @Test
    void givenEveryContainerThenLivenessIsOnHealthAndReadinessOnReadyAtAPortTheServiceListensOn() {
        for (String name : SERVICES) {
            for (Container c : containers(name)) {
                String who = name + " container " + c.getName();
                HTTPGetAction liveness = httpGet(c.getLivenessProbe(), who + " livenessProbe");
                HTTPGetAction readiness = httpGet(c.getReadinessProbe(), who + " readinessProbe");
                assertThat(liveness.getPath()).as(who + " liveness path").isEqualTo("/health");
                assertThat(readiness.getPath()).as(who + " readiness path").isEqualTo("/ready");
                if (c.getStartupProbe() != null) {
                    assertThat(httpGet(c.getStartupProbe(), who + " startupProbe").getPath()).isEqualTo("/health");
                }
                int port = containerPort(c, liveness.getPort()).orElseThrow(
                        () -> new AssertionError(who + ": the liveness port " + liveness.getPort() + " is no container port"));
                assertThat(containerPort(c, readiness.getPort())).as(who + " readiness port").contains(port);
                // the service listens where the probes knock: its port setting is the container port, on every address
                Map<String, String> env = environment(c);
                List<String> settings = PORT_AND_BIND.get(name);
                assertThat(env.get(settings.get(0))).as(who + " " + settings.get(0)).isEqualTo(String.valueOf(port));
                if (settings.size() > 1) {
                    assertThat(env.get(settings.get(1))).as(who + " " + settings.get(1) + " (loopback by default)")
                            .isEqualTo("0.0.0.0");
                }
            }
        }
    }

    @Test
    void givenEveryContainerThenItHasCpuAndMemoryRequestsAndLimitsAndItsHeapFitsTheLimit() {
        for (String name : SERVICES) {
            for (Container c : containers(name)) {
                String who = name + " container " + c.getName();
                ResourceRequirements r = c.getResources();
                assertThat(r).as(who + " resources").isNotNull();
                for (String resource : List.of("cpu", "memory")) {
                    Quantity request = r.getRequests() == null ? null : r.getRequests().get(resource);
                    Quantity limit = r.getLimits() == null ? null : r.getLimits().get(resource);
                    assertThat(request).as(who + " requests." + resource).isNotNull();
                    assertThat(limit).as(who + " limits." + resource).isNotNull();
                    assertThat(Quantity.getAmountInBytes(request)).as(who + " " + resource + " request within its limit")
                            .isLessThanOrEqualTo(Quantity.getAmountInBytes(limit));
                }
                Matcher heap = Pattern.compile("-Xmx(\\d+)([mg])").matcher(environment(c).getOrDefault("JAVA_TOOL_OPTIONS", ""));
                assertThat(heap.find()).as(who + " sets its heap (-Xmx in JAVA_TOOL_OPTIONS)").isTrue();
                BigDecimal heapBytes = BigDecimal.valueOf(Long.parseLong(heap.group(1)) << (heap.group(2).equals("g") ? 30 : 20));
                assertThat(heapBytes).as(who + " heap leaves room below the memory limit for the rest of the JVM")
                        .isLessThanOrEqualTo(Quantity.getAmountInBytes(r.getLimits().get("memory")).multiply(BigDecimal.valueOf(0.75)));
            }
        }
    }

    @Test
    void givenEveryPodThenItRunsAsNonRootWithoutPrivilegeOnAReadOnlyRootFilesystemWithATmpVolume() {
        for (String name : SERVICES) {
            PodSpec pod = deployment(name).getSpec().getTemplate().getSpec();
            PodSecurityContext podSecurity = pod.getSecurityContext();
            assertThat(podSecurity).as(name + " pod securityContext").isNotNull();
            assertThat(podSecurity.getRunAsNonRoot()).as(name + " runAsNonRoot").isTrue();
            assertThat(podSecurity.getRunAsUser()).as(name + " runAsUser").isNotNull().isPositive();
            assertThat(podSecurity.getSeccompProfile().getType()).as(name + " seccomp").isEqualTo("RuntimeDefault");
            assertThat(pod.getAutomountServiceAccountToken()).as(name + " mounts no API token").isFalse();
            Map<String, Volume> volumes = pod.getVolumes().stream().collect(Collectors.toMap(Volume::getName, v -> v));
            for (Container c : pod.getContainers()) {
                String who = name + " container " + c.getName();
                SecurityContext s = c.getSecurityContext();
                assertThat(s).as(who + " securityContext").isNotNull();
                assertThat(s.getRunAsNonRoot()).as(who + " runAsNonRoot").isNotEqualTo(Boolean.FALSE);
                assertThat(s.getRunAsUser()).as(who + " runAsUser").satisfiesAnyOf(u -> assertThat(u).isNull(),
                        u -> assertThat(u).isPositive());
                assertThat(s.getAllowPrivilegeEscalation()).as(who + " allowPrivilegeEscalation").isFalse();
                assertThat(s.getPrivileged()).as(who + " privileged").isNotEqualTo(Boolean.TRUE);
                assertThat(s.getReadOnlyRootFilesystem()).as(who + " readOnlyRootFilesystem").isTrue();
                assertThat(s.getCapabilities().getDrop()).as(who + " capabilities dropped").contains("ALL");
                assertThat(s.getCapabilities().getAdd()).as(who + " capabilities added").isNullOrEmpty();
                VolumeMount tmp = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/tmp")).findFirst()
                        .orElseThrow(() -> new AssertionError(who + " mounts no /tmp, and its root filesystem is read-only"));
                assertThat(volumes.get(tmp.getName())).as(who + " /tmp volume").isNotNull()
                        .satisfies(v -> assertThat(v.getEmptyDir()).as(who + " /tmp is an emptyDir").isNotNull());
            }
        }
    }

    @Test
    void givenEveryVariableNamedLikeACredentialThenItComesFromTheServicesOwnSecretAndNoPlainValueIsOne() {
        for (String name : SERVICES) {
            for (Container c : containers(name)) {
                String who = name + " container " + c.getName();
                for (EnvVar v : c.getEnv()) {
                    if (CREDENTIAL.matcher(v.getName()).find()) {
                        // the value itself is never shown: it may be a real credential
                        assertThat(v.getValue() == null).as(who + " " + v.getName() + " must not have a plain value").isTrue();
                        SecretKeySelector ref = v.getValueFrom() == null ? null : v.getValueFrom().getSecretKeyRef();
                        assertThat(ref).as(who + " " + v.getName() + " from a secretKeyRef").isNotNull();
                        assertThat(ref.getName()).as(who + " " + v.getName() + ": each service reads only its own Secret")
                                .isEqualTo(name);
                        assertThat(ref.getKey()).as(who + " " + v.getName() + " key").isNotBlank();
                    }
                }
                for (EnvFromSource from : c.getEnvFrom()) {
                    assertThat(from.getConfigMapRef()).as(who + " envFrom takes ConfigMaps only (Secrets by key)").isNotNull();
                    assertThat(one(ConfigMap.class, from.getConfigMapRef().getName())).as(who + " envFrom " + from).isNotNull();
                }
                environment(c).forEach((variable, value) -> {
                    assertThat(CREDENTIAL.matcher(variable).find()).as(who + ": " + variable + " must not have a plain value").isFalse();
                    assertThat(CREDENTIAL_VALUE.matcher(value).find())
                            .as(who + ": the value of " + variable + " must not look like a credential").isFalse();
                });
            }
        }
        for (Document d : documents) {
            if (d.resource() instanceof ConfigMap map && map.getData() != null) {
                map.getData().forEach((key, value) -> {
                    assertThat(CREDENTIAL.matcher(key).find()).as(d.where() + ": " + key + " belongs in a Secret").isFalse();
                    assertThat(CREDENTIAL_VALUE.matcher(value).find())
                            .as(d.where() + ": the value of " + key + " must not look like a credential").isFalse();
                });
            }
        }
    }

    // --- the Dockerfiles ------------------------------------------------------------------------------------------

    /** A Dockerfile's instructions, continuation lines joined, comments dropped: (INSTRUCTION, arguments). */
    static List<String[]> instructions(Path dockerfile) throws IOException {
        List<String[]> out = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        for (String raw : Files.readAllLines(dockerfile)) {
            String line = raw.strip();
            if (line.startsWith("#") || line.isEmpty() && pending.isEmpty()) {
                continue;
            }
            if (line.endsWith("\\")) {
                pending.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            String whole = (pending + line).strip();
            pending.setLength(0);
            String[] parts = whole.split("\\s+", 2);
            out.add(new String[] {parts[0].toUpperCase(Locale.ROOT), parts.length > 1 ? parts[1] : ""});
        }
        return out;
    }

    @Test
    void givenEveryDockerfileThenItRunsItsServicesJarAsTheNonRootUserOfThePodAndExposesItsPort() throws IOException {
        // the witness has an image but no place in the ledger's namespace: whoever watches the ledger runs it elsewhere
        List<String> images = new ArrayList<>(SERVICES);
        images.add(WITNESS);
        for (String name : images) {
            Path dockerfile = DOCKER.resolve(name + ".Dockerfile");
            assertThat(dockerfile).as(name + "'s Dockerfile").isRegularFile();
            List<String[]> steps = instructions(dockerfile);
            Map<String, List<String>> byName = new LinkedHashMap<>();
            steps.forEach(s -> byName.computeIfAbsent(s[0], k -> new ArrayList<>()).add(s[1]));

            assertThat(byName.get("FROM")).as(name + ": one stage").hasSize(1);
            List<String> users = byName.getOrDefault("USER", List.of());
            assertThat(users).as(name + " sets a USER").isNotEmpty();
            String user = users.get(users.size() - 1);
            Matcher uid = Pattern.compile("(\\d+)(?::(\\d+))?").matcher(user);
            assertThat(uid.matches()).as(name + ": USER " + user + " must be numeric, so Kubernetes can check runAsNonRoot").isTrue();
            assertThat(Long.parseLong(uid.group(1))).as(name + ": USER " + user + " must not be root").isPositive();
            if (uid.group(2) != null) {
                assertThat(Long.parseLong(uid.group(2))).as(name + ": the group of USER " + user + " must not be root").isPositive();
            }
            if (!name.equals(WITNESS)) {
                PodSpec pod = deployment(name).getSpec().getTemplate().getSpec();
                assertThat(pod.getSecurityContext().getRunAsUser()).as(name + ": the pod runs as the image's user")
                        .isEqualTo(Long.parseLong(uid.group(1)));
            }
            // the USER applies to what runs: nothing after it switches back
            assertThat(steps.get(steps.size() - 1)[0]).as(name + ": ENTRYPOINT last").isEqualTo("ENTRYPOINT");

            assertThat(byName.get("COPY")).as(name + " copies its executable jar").singleElement().satisfies(copy ->
                    assertThat(copy).startsWith(name + "/target/" + name + "-*-exec.jar "));
            assertThat(REPO.resolve(name).resolve("pom.xml")).as(name + " is a module of the repository").isRegularFile();
            assertThat(byName.get("ENTRYPOINT")).singleElement().satisfies(e ->
                    assertThat(e).as(name + " ENTRYPOINT in exec form (signals reach the JVM)")
                            .startsWith("[\"java\"").contains(".jar\"]"));

            int port = name.equals(WITNESS) ? WITNESS_PORT : containerPort(containers(name).get(0), new IntOrString("http")).orElseThrow();
            assertThat(byName.get("EXPOSE")).as(name + " EXPOSE").containsExactly(String.valueOf(port));

            for (String instruction : List.of("ENV", "ARG", "LABEL")) {
                for (String args : byName.getOrDefault(instruction, List.of())) {
                    String variable = args.split("[=\\s]", 2)[0];
                    assertThat(CREDENTIAL.matcher(variable).find()).as(name + ": " + instruction + " " + variable
                            + " bakes a credential into the image").isFalse();
                    assertThat(CREDENTIAL_VALUE.matcher(args).find())
                            .as(name + ": " + instruction + " must not carry a credential").isFalse();
                }
            }

            // the build context is the jar alone (BuildKit reads the ignore file named after the Dockerfile)
            Path ignore = DOCKER.resolve(name + ".Dockerfile.dockerignore");
            assertThat(ignore).as(name + "'s ignore file").isRegularFile();
            List<String> patterns = Files.readAllLines(ignore).stream().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
            assertThat(patterns).as(name + " build context").containsExactly("*", "!" + name + "/target/" + name + "-*-exec.jar");
        }
    }

    // --- helpers --------------------------------------------------------------------------------------------------

    static <T extends HasMetadata> T one(Class<T> type, String name) {
        List<T> found = documents.stream().map(Document::resource).filter(type::isInstance).map(type::cast)
                .filter(r -> r.getMetadata().getName().equals(name)).toList();
        assertThat(found).as(type.getSimpleName() + " " + name + " in ops/deploy/kubernetes").hasSize(1);
        return found.get(0);
    }

    static Deployment deployment(String name) {
        return one(Deployment.class, name);
    }

    static List<Container> containers(String name) {
        PodSpec pod = deployment(name).getSpec().getTemplate().getSpec();
        List<Container> all = new ArrayList<>(pod.getContainers());
        all.addAll(pod.getInitContainers());
        assertThat(pod.getInitContainers()).as(name + ": no init container (probes and limits are checked on containers)").isEmpty();
        return all;
    }

    static HTTPGetAction httpGet(Probe probe, String what) {
        assertThat(probe).as(what).isNotNull();
        assertThat(probe.getHttpGet()).as(what + " httpGet").isNotNull();
        return probe.getHttpGet();
    }

    /** The container port a probe's or a Service's port names, by number or by name. */
    static Optional<Integer> containerPort(Container c, IntOrString port) {
        return c.getPorts().stream()
                .filter(p -> port.getIntVal() != null ? port.getIntVal().equals(p.getContainerPort())
                        : port.getStrVal().equals(p.getName()))
                .map(ContainerPort::getContainerPort).findFirst();
    }

    /** The container's plain-valued environment: its ConfigMaps (envFrom, in order), then its own values. */
    static Map<String, String> environment(Container c) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvFromSource from : c.getEnvFrom()) {
            if (from.getConfigMapRef() != null) {
                Map<String, String> data = one(ConfigMap.class, from.getConfigMapRef().getName()).getData();
                String prefix = Objects.requireNonNullElse(from.getPrefix(), "");
                data.forEach((k, v) -> env.put(prefix + k, v));
            }
        }
        for (EnvVar v : c.getEnv()) {
            if (v.getValue() != null) {
                env.put(v.getName(), v.getValue());
            } else {
                env.remove(v.getName());
            }
        }
        return env;
    }
}
