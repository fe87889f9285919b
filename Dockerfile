# jtune api in a container: the OpenAI-compatible server over a model and its adapters.
#   docker build -t jtune .
#   docker run -p 8000:8000 -v $PWD/deploy/api.yaml:/config/api.yaml:ro -v $PWD/models:/models:ro -e API_KEY=sk-... jtune
# See docs/deploy.md. The build stage compiles with Maven on a JDK 25 image; the runtime stage holds only a
# jlink'd Java runtime (scripts/make-dist.sh) and the jar, and runs as an unprivileged user.

FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -ntp -q dependency:go-offline
COPY src src
COPY scripts scripts
RUN mvn -B -ntp -q -o -Dmaven.test.skip=true package \
 && JTUNE_MVN_ARGS=-o scripts/make-dist.sh /opt/jtune

FROM debian:trixie-slim
RUN groupadd --system --gid 10001 jtune \
 && useradd --system --uid 10001 --gid jtune --home-dir /home/jtune --create-home --shell /usr/sbin/nologin jtune
COPY --from=build /opt/jtune /opt/jtune
# Listen on every interface of the container (the port is what is published); set API_KEY for anything
# reachable by others. Hugging Face downloads (a hub id in model_name_or_path) go to the writable home.
ENV API_HOST=0.0.0.0 \
    API_PORT=8000 \
    HF_HOME=/home/jtune/.cache/huggingface
USER 10001:10001
WORKDIR /home/jtune
EXPOSE 8000
# The config (model_name_or_path, template, lora_modules, ...) is mounted at /config/api.yaml; key=value
# overrides may follow it as further arguments. Heap: half the container's memory limit (weights are
# memory-mapped outside the heap; the heap holds the KV caches).
ENTRYPOINT ["/opt/jtune/runtime/bin/java", "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC", "-XX:MaxRAMPercentage=50", "-XX:MaxNewSize=128m", "-jar", "/opt/jtune/app/jtune.jar", "api"]
CMD ["/config/api.yaml"]
