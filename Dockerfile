# syntax=docker/dockerfile:1
# Every Strongroom image from one file: the six services and the operator CLI. One build stage
# publishes the project the build args name; each image is a final stage picked with --target,
# because ENTRYPOINT and EXPOSE take no build args and only the runner gets bubblewrap, python3
# and the sample jobs (docs/deployment.md, "The images"). From the repository root:
#   docker build --target kms --build-arg SERVICE=kms -t strongroom/kms .
#   docker build --target cli --build-arg PROJECT_DIR=tools/Strongroom.Cli -t strongroom/cli .
# docker-compose.yml gives every image its target and args. CI cannot run docker here:
# scripts/check-containers.sh checks every COPY source and runs the restore and publish commands
# with each image's args; tests/Strongroom.Deployment.Tests/Dockerfile*.cs check each image.
#
# Build args:
#   SERVICE      kms, keyservice, signer, storage, runner or edge: the identity, the data folder
#                /var/lib/strongroom/$SERVICE and the default PROJECT_DIR (services/$SERVICE).
#   PROJECT_DIR  the folder of the one project to publish; only the CLI sets it.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore layer: only what restore reads (build settings, central package versions, the protos,
# then project files), so a source edit keeps it cached. Every library's project file is listed
# (classic COPY cannot glob across folders and keep the paths), so these layers are the same for
# all seven images; a test fails when an image's reference is missing here or a line names a
# project no image uses.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY protos/ protos/
COPY libs/Strongroom.Client/Strongroom.Client.csproj libs/Strongroom.Client/
COPY libs/Strongroom.Contracts/Strongroom.Contracts.csproj libs/Strongroom.Contracts/
COPY libs/Strongroom.Core/Strongroom.Core.csproj libs/Strongroom.Core/
COPY libs/Strongroom.Crypto/Strongroom.Crypto.csproj libs/Strongroom.Crypto/
COPY libs/Strongroom.Hosting/Strongroom.Hosting.csproj libs/Strongroom.Hosting/
COPY libs/Strongroom.KeyAdmin/Strongroom.KeyAdmin.csproj libs/Strongroom.KeyAdmin/
COPY libs/Strongroom.KeyCustody/Strongroom.KeyCustody.csproj libs/Strongroom.KeyCustody/
COPY libs/Strongroom.KeyLog/Strongroom.KeyLog.csproj libs/Strongroom.KeyLog/
COPY libs/Strongroom.KeyPublishing/Strongroom.KeyPublishing.csproj libs/Strongroom.KeyPublishing/
COPY libs/Strongroom.KmsClient/Strongroom.KmsClient.csproj libs/Strongroom.KmsClient/
COPY libs/Strongroom.Operator/Strongroom.Operator.csproj libs/Strongroom.Operator/
COPY libs/Strongroom.Persistence/Strongroom.Persistence.csproj libs/Strongroom.Persistence/
COPY libs/Strongroom.Pki/Strongroom.Pki.csproj libs/Strongroom.Pki/
COPY libs/Strongroom.Requests/Strongroom.Requests.csproj libs/Strongroom.Requests/
COPY libs/Strongroom.Sandbox/Strongroom.Sandbox.csproj libs/Strongroom.Sandbox/
COPY libs/Strongroom.Transport/Strongroom.Transport.csproj libs/Strongroom.Transport/
# The CLI's stack builder; the services carry it in this stage only (never in their image).
COPY tools/Strongroom.Stack/Strongroom.Stack.csproj tools/Strongroom.Stack/
# Everything above is the same for all seven images; from here on, the image's own project.
ARG SERVICE
ARG PROJECT_DIR=services/${SERVICE}
COPY ${PROJECT_DIR}/*.csproj ${PROJECT_DIR}/
RUN dotnet restore ${PROJECT_DIR}
# Sources, then publish without touching the network again.
COPY libs/ libs/
COPY tools/Strongroom.Stack/ tools/Strongroom.Stack/
COPY ${PROJECT_DIR}/ ${PROJECT_DIR}/
RUN dotnet publish ${PROJECT_DIR} -c Release --no-restore -o /app

# The strongroom CLI for operators (docker-compose profile "cli"): reaches the services' admin
# listeners directly over mTLS as operator/admin, never through the edge. The runtime image: it
# hosts no ASP.NET Core.
FROM mcr.microsoft.com/dotnet/runtime:10.0 AS cli
WORKDIR /app
COPY --from=build /app ./
# A one-shot tool: no listener, so nothing to probe.
HEALTHCHECK NONE
ENV HOME=/tmp \
    DOTNET_ENVIRONMENT=Production
# Non-root; compose mounts the root filesystem read-only with a tmpfs /tmp.
USER 64198:64198
WORKDIR /work
ENTRYPOINT ["dotnet", "/app/strongroom.dll"]

# What every service image shares. The published app is copied by each service's own stage below,
# after anything that stage installs, so a code change never re-runs an apt layer.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS service
# curl only for the HEALTHCHECK below (the aspnet image has no shell tools for HTTP); before the
# ARG, so all six images share this layer.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
ARG SERVICE
# The data folder is the only writable path besides /tmp (compose mounts the root read-only) and
# only the service's uid may enter it. No SERVICE would mean an image without identity: refuse.
RUN test -n "$SERVICE" \
 && mkdir -p /var/lib/strongroom/${SERVICE} \
 && chown 64198:64198 /var/lib/strongroom/${SERVICE} \
 && chmod 0700 /var/lib/strongroom/${SERVICE}
WORKDIR /app
# Configuration comes from the environment (Strongroom__Tls__CertFile=…, see docker-compose.yml).
# The probe listener is plain HTTP/1.1 serving only GET /healthz, on loopback inside the container:
# nothing outside the container (not even another container) can reach it.
ENV ASPNETCORE_HTTP_PORTS= \
    DOTNET_ENVIRONMENT=Production \
    Strongroom__Identity=${SERVICE} \
    Strongroom__Listeners__Health=127.0.0.1:8080 \
    Strongroom__Audit__Path=/var/lib/strongroom/${SERVICE}/audit.log
# Non-root; the root filesystem is mounted read-only by compose (only the data volume and a tmpfs
# /tmp are writable).
USER 64198:64198
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 CMD ["curl", "-fsS", "http://127.0.0.1:8080/healthz"]

# kms: holds KEKs sealed under the operator passphrase (mounted as a secret into kms alone).
FROM service AS kms
COPY --from=build /app ./
EXPOSE 7401 7411
ENTRYPOINT ["dotnet", "/app/Strongroom.Kms.dll"]

# keyservice: holds RSA-4096 / X25519 decryption keys, KMS-wrapped.
FROM service AS keyservice
COPY --from=build /app ./
EXPOSE 7402 7412
ENTRYPOINT ["dotnet", "/app/Strongroom.KeyService.dll"]

# signer: holds Ed25519 signing keys and the log key, KMS-wrapped.
FROM service AS signer
COPY --from=build /app ./
EXPOSE 7403 7413
ENTRYPOINT ["dotnet", "/app/Strongroom.Signer.dll"]

# storage: holds public keys, the key log and signed results (nothing secret).
FROM service AS storage
COPY --from=build /app ./
EXPOSE 7404 7414 7424
ENTRYPOINT ["dotnet", "/app/Strongroom.Storage.dll"]

# runner: holds its durable queue; per-message keys only transiently. It sandboxes every job with
# bubblewrap (user, PID and network namespaces, no capabilities): the container needs
# `security_opt: [seccomp=unconfined, apparmor=unconfined, systempaths=unconfined]` (docker's
# default seccomp/AppArmor profiles refuse unprivileged user namespaces and the fresh /proc mount).
# It never needs cap_add: SYS_ADMIN or root.
FROM service AS runner
# Root for the install alone: bubblewrap sandboxes jobs, python3 runs the sample jobs (the sandbox
# mounts only /usr).
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap python3 \
 && rm -rf /var/lib/apt/lists/*
# The operator's sample jobs; Runner:JobsRoot makes the relative bind "examples/jobs" resolve here.
COPY examples/jobs/ /opt/strongroom/examples/jobs/
ENV Runner__JobsRoot=/opt/strongroom \
    Runner__BubblewrapPath=/usr/bin/bwrap
USER 64198:64198
COPY --from=build /app ./
EXPOSE 7405 7415
ENTRYPOINT ["dotnet", "/app/Strongroom.Runner.dll"]

# edge: holds its TLS identity only.
FROM service AS edge
COPY --from=build /app ./
EXPOSE 7443 7453
ENTRYPOINT ["dotnet", "/app/Strongroom.Edge.dll"]
