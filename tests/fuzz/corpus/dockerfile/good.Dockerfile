# syntax=docker/dockerfile:1
FROM debian:12@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc \
    && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN make -C /src

FROM scratch
COPY --from=build /src/app /app
EXPOSE 8080
HEALTHCHECK --interval=30s CMD ["/app", "health"]
USER 1000:1000
ENTRYPOINT ["/app"]
