# invoice-worker: Kafka → invoice projection, witness and dunning (port 8082: /health, /ready, /metrics)
# Build from the repository root, after `mvn -B -ntp -DskipTests package` has made the executable jar:
#   docker build -f ops/deploy/docker/invoice-worker.Dockerfile -t ledger/invoice-worker:0.1.0 .
# No build stage: the image only adds the jar Maven built to a JRE. invoice-worker.Dockerfile.dockerignore (BuildKit reads the
# ignore file named after the Dockerfile) keeps the context to that jar, so .ledger/ (local data, keys) never reaches it.
# Pin the base by digest in your registry (FROM eclipse-temurin:21-jre@sha256:...) for reproducible images.
FROM eclipse-temurin:21-jre

WORKDIR /app
# owned by root and not writable by the service's user: the code cannot be changed at run time
COPY invoice-worker/target/invoice-worker-*-exec.jar /app/invoice-worker.jar

# a numeric user that exists in no passwd file, so Kubernetes can check runAsNonRoot; the pod repeats it (runAsUser)
USER 10001:10001
EXPOSE 8082
# the heap and collector measured for this service (ops LocalStack); the pod's JAVA_TOOL_OPTIONS overrides them
ENV JAVA_TOOL_OPTIONS="-Xmx256m -XX:+UseSerialGC -Djava.io.tmpdir=/tmp"
# no secret here: every credential comes from the environment at run time (ops/deploy/README.md)
ENTRYPOINT ["java", "-jar", "/app/invoice-worker.jar"]
