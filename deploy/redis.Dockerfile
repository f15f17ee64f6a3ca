# Redis 7 from Debian packages on the local base, for machines with no image registry.
# Glance uses Redis as a cache only (keys carry code digest and data version), so nothing
# is persisted: a restart starts cold, which is always correct. Context: deploy/redis.
ARG BASE_IMAGE=glance-base:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/*
COPY redis.conf /etc/glance-redis.conf
USER redis
EXPOSE 6379
CMD ["redis-server", "/etc/glance-redis.conf"]
