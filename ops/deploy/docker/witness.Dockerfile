# witness: a C2SP tlog-witness of the ledger's checkpoints (port 8083: POST /add-checkpoint, GET /key, /health, /ready,
# /metrics; witness/README.md). Meant for whoever watches the ledger (a tenant, an auditor), run apart from it, with its
# own database (DATABASE_URL), its own key (WITNESS_KEY) and the ledger's checkpoint key in WITNESS_LOGS.
# Build from the repository root, after `mvn -B -ntp -DskipTests package` has made the executable jar:
#   docker build -f ops/deploy/docker/witness.Dockerfile -t ledger/witness:0.1.0 .
# No build stage: the image only adds the jar Maven built to a JRE. witness.Dockerfile.dockerignore keeps the context to
# that jar. Pin the base by digest in your registry (FROM eclipse-temurin:21-jre@sha256:...) for reproducible images.
FROM eclipse-temurin:21-jre

WORKDIR /app
# owned by root and not writable by the service's user: the code cannot be changed at run time
COPY witness/target/witness-*-exec.jar /app/witness.jar

# a numeric user that exists in no passwd file, so Kubernetes can check runAsNonRoot
USER 10001:10001
EXPOSE 8083
# the heap and collector of the local stack's witness (ops LocalStack); JAVA_TOOL_OPTIONS at run time overrides them
ENV JAVA_TOOL_OPTIONS="-Xmx128m -XX:+UseSerialGC -Djava.io.tmpdir=/tmp"
# no secret here: the key and the database URL come from the environment at run time; WITNESS_BIND_ADDRESS=0.0.0.0 opens
# the port beyond the container
ENTRYPOINT ["java", "-jar", "/app/witness.jar"]
