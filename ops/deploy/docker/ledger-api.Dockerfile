# ledger-api: the HTTP API (port 8080: API, /health, /ready, /actuator/prometheus)
# Build from the repository root, after `mvn -B -ntp -DskipTests package` has made the executable jar:
#   docker build -f ops/deploy/docker/ledger-api.Dockerfile -t ledger/ledger-api:0.1.0 .
# No build stage: the image only adds the jar Maven built to a JRE. ledger-api.Dockerfile.dockerignore (BuildKit reads the
# ignore file named after the Dockerfile) keeps the context to that jar, so .ledger/ (local data, keys) never reaches it.
# Pin the base by digest in your registry (FROM eclipse-temurin:21-jre@sha256:...) for reproducible images.
FROM eclipse-temurin:21-jre

WORKDIR /app
# owned by root and not writable by the service's user: the code cannot be changed at run time
COPY ledger-api/target/ledger-api-*-exec.jar /app/ledger-api.jar

# a numeric user that exists in no passwd file, so Kubernetes can check runAsNonRoot; the pod repeats it (runAsUser)
USER 10001:10001
EXPOSE 8080
# the heap and collector measured for this service (ops LocalStack); the pod's JAVA_TOOL_OPTIONS overrides them
ENV JAVA_TOOL_OPTIONS="-Xmx512m -Xmn320m -XX:+UseParallelGC -Djava.io.tmpdir=/tmp"
# no secret here: every credential comes from the environment at run time (ops/deploy/README.md)
ENTRYPOINT ["java", "-jar", "/app/ledger-api.jar"]
