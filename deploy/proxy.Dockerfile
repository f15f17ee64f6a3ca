# Reverse proxy (Caddy from Debian) in front of the dashboard replicas: websockets pass through,
# a cookie keeps each browser on one replica (Panel sessions live in one process), and the
# replica list is re-resolved from Compose DNS so scaling and upgrades need no proxy restart.
# Context: deploy/proxy.
ARG BASE_IMAGE=glance-base:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends caddy \
 && rm -rf /var/lib/apt/lists/*
COPY Caddyfile /etc/caddy/Caddyfile
ENV XDG_DATA_HOME=/tmp/caddy-data XDG_CONFIG_HOME=/tmp/caddy-config
USER caddy
EXPOSE 8080
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
