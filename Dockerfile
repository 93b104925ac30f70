# syntax=docker/dockerfile:1
#
# hookd in a container: a static binary on a distroless base, run as a
# non-root user, with its SQLite data in the /data volume.
#
#   docker build -t hookd --build-arg VERSION=v1.0.0 --build-arg REVISION=$(git rev-parse HEAD) .
#   docker run -p 8080:8080 -v hookd-data:/data -e HOOKD_API_KEY=… hookd
#
# For several nodes on PostgreSQL, see deploy/compose.yaml.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
ARG REVISION=
# CGO_ENABLED=0: SQLite is pure Go (modernc.org/sqlite), so the binary is
# static and runs on an image without a C library.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=false \
        -ldflags "-s -w -X main.version=${VERSION} -X main.revision=${REVISION}" \
        -o /out/hookd ./cmd/hookd \
    && mkdir -p /out/data

# distroless/static: CA certificates, /etc/passwd with the nonroot user
# (65532), no shell and no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hookd /usr/local/bin/hookd
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
ENV HOOKD_ADDR=:8080 \
    HOOKD_DB=sqlite:/data/hookd.db
VOLUME ["/data"]
EXPOSE 8080
# The image has no curl: hookd checks its own /healthz (on HOOKD_ADDR's port).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/usr/local/bin/hookd", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/hookd"]
CMD ["serve"]
