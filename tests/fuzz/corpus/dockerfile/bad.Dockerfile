FROM debian AS build
ARG GITHUB_TOKEN
RUN apt-get update
RUN apt-get update && apt-get install -y curl sudo
RUN curl -fsSL https://example.org/install.sh | sh
RUN sudo make install

FROM debian:latest
ENV DB_PASSWORD=hunter2 PATH=/usr/local/bin:/usr/bin
ADD app.tar.gz /app
ADD https://example.org/tool /usr/local/bin/tool
RUN apk add curl && \
    wget -qO- https://example.org/x | bash
EXPOSE 80 22/tcp
COPY --from=build /out /app
CMD ["/app/run"]
USER app
USER root
CMD ["/app/run", "--debug"]
