# kapsel-audit ignore-file=K3.8
FROM alpine:3.19@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
# kapsel-audit ignore=K3.4
RUN sudo true
RUN sudo false
USER 65534
