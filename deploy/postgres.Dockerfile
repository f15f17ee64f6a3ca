# PostgreSQL 15 from Debian packages on the local base, for machines with no image registry.
# Environment matches the official `postgres` image (POSTGRES_USER, POSTGRES_PASSWORD or
# POSTGRES_PASSWORD_FILE, POSTGRES_DB, PGDATA), so compose can use either. The socket directory
# is writable by all, as in the official image: on a read-only root Compose mounts a tmpfs there,
# which takes the directory's mode but not its owner.
# Context: deploy/postgres.
ARG BASE_IMAGE=glance-base:bookworm
FROM ${BASE_IMAGE}
# Debian's postinst would create a "main" cluster in the image; ours is created on first start.
RUN mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/00-glance.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql /backups \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql /backups \
 && chmod 700 /var/lib/postgresql/data \
 && chmod 3777 /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
COPY docker-entrypoint.sh /usr/local/bin/
USER postgres
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
