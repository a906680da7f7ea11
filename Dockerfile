# lawvillage server image.
#
#   docker build -t lawvillage:local .
#   docker run --rm lawvillage:local migrate up     # needs LV_DATABASE_URL
#   docker run --rm -p 8080:8080 lawvillage:local   # serve; see README.md for LV_*
#
# The runtime image is distroless (no shell), so it has no HEALTHCHECK:
# docker-compose.yml waits on the health of PostgreSQL and MinIO instead, and
# an orchestrator should probe the HTTP port.

FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
# Modules first, so that a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags "-s -w" -o /out/lawvillage .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/lawvillage /lawvillage
# Inside a container the server must listen on every interface.
ENV LV_LISTEN_ADDR=0.0.0.0:8080
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/lawvillage"]
CMD ["serve"]
