# syntax=docker/dockerfile:1
# Build: cgo is required (gojieba is C++). The jieba dictionaries are copied out of the module
# cache, since the binary's built-in default paths point into the build machine.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=1
RUN go build -trimpath -ldflags="-s -w" -o /out/techmatch ./cmd/techmatch \
 && mkdir -p /out/dict \
 && cp "$(go list -m -f '{{.Dir}}' github.com/yanyiwu/gojieba)"/deps/cppjieba/dict/*.utf8 /out/dict/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libstdc++6 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin techmatch \
 && mkdir -p /data && chown techmatch /data
COPY --from=build /out/techmatch /usr/local/bin/techmatch
COPY --from=build /out/dict /usr/share/techmatch/dict
ENV TECHMATCH_JIEBA_DICT_DIR=/usr/share/techmatch/dict \
    TECHMATCH_DATA_DIR=/data \
    TECHMATCH_HTTP_ADDR=:8080
VOLUME /data
EXPOSE 8080
USER techmatch
ENTRYPOINT ["/usr/local/bin/techmatch"]
CMD ["serve"]
