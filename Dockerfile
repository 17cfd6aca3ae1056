# Breakwater container image.
#
#   docker build -t breakwater:latest .
#   docker run --rm -p 127.0.0.1:8080:8080 -p 127.0.0.1:9901:9901 \
#     -e BREAKWATER_ADMIN_TOKEN=some-long-random-string --stop-timeout 45 breakwater:latest
#
# The built-in configuration (config/breakwater.container.yaml) listens on 0.0.0.0 and needs
# BREAKWATER_ADMIN_TOKEN: without it Breakwater refuses to start. To use another configuration, mount it
# and pass `--config PATH` (arguments after the image name go to Breakwater) or set BREAKWATER_CONFIG.
#
# Shutdown: on SIGTERM Breakwater drains for up to `shutdown-grace` (30s by default). `docker stop` sends
# SIGKILL after 10s unless told otherwise, so give it `--stop-timeout 45` (docker run),
# `stop_grace_period: 45s` (compose) or terminationGracePeriodSeconds: 45 (Kubernetes).

# ---------------------------------------------------------------------------------------------------------
# Build stage
# ---------------------------------------------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build

# Dependencies first: this layer is rebuilt only when pom.xml changes. .mvn/jvm.config opens javac's
# internals to Error Prone, which runs in every compile.
COPY .mvn ./.mvn
COPY pom.xml ./
RUN mvn -B -q dependency:go-offline

COPY src ./src
RUN mvn -B -q package -DskipTests

# ---------------------------------------------------------------------------------------------------------
# Runtime stage
# ---------------------------------------------------------------------------------------------------------
FROM eclipse-temurin:17-jre

LABEL org.opencontainers.image.title="breakwater" \
      org.opencontainers.image.description="Resilience sidecar proxy for AI agents: retries, backoff, timeouts, SSE streaming"

# A fixed numeric uid/gid, so that Kubernetes can verify runAsNonRoot without a runAsUser.
RUN groupadd --system --gid 10001 breakwater \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin breakwater

WORKDIR /app
# Owned by root (COPY's default) and not writable by the runtime user. bin/breakwater, the launcher that
# holds the JVM flags, finds the jar in the directory above its own.
COPY --from=build /build/target/breakwater.jar /app/breakwater.jar
COPY bin/breakwater /app/bin/breakwater
COPY config/breakwater.container.yaml /app/config/breakwater.yaml

# Read by the jar when no --config is given.
ENV BREAKWATER_CONFIG=/app/config/breakwater.yaml \
    BREAKWATER_LOG_LEVEL=INFO
# Read by the launcher: the heap is sized from the container's memory limit (75 %) instead of the launcher's
# fixed -Xms96m -Xmx192m -Xmn48m. Its other default flags (serial GC, 512k stacks, exit on OOM, ...) are listed in
# bin/breakwater. Set JAVA_OPTS to add flags; they come after the defaults, so they win.
ENV BREAKWATER_HEAP_OPTS="-XX:MaxRAMPercentage=75"

USER 10001:10001

# 8080: the proxy (agents send requests here). 9901: admin (/healthz, /readyz, /metrics, /admin/*, /).
EXPOSE 8080 9901

STOPSIGNAL SIGTERM

# The JRE image has no curl: speak HTTP over bash's /dev/tcp. /readyz needs no admin token, and answers 503
# while starting and while draining, so a draining container is reported unhealthy rather than ready.
# Assumes the admin listener is reachable on 127.0.0.1:9901 (true for 0.0.0.0:9901 and 127.0.0.1:9901).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9901 && printf 'GET /readyz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && IFS= read -r -t 2 status <&3 && [[ $status == 'HTTP/1.'[01]' 200 '* ]] || exit 1"]

# The launcher execs java, so java is PID 1 and receives SIGTERM itself. Arguments given to
# `docker run IMAGE ...` (or Kubernetes `args`) are passed on to Breakwater.
ENTRYPOINT ["/app/bin/breakwater"]
CMD []
