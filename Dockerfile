# natmap in a container: the .NET SDK image compiles the NativeAOT binary (scripts/container-build.sh,
# which runs outside a container too), and a minimal runtime-deps image runs it as a non-root user.
#
#   podman build --build-arg REGISTRY=<the registry that serves the .NET images> -t natmap .
#   podman run --rm --network host natmap -s stun.example.org -h example.org -b 5555
#
# The images are named without their registry; REGISTRY names it. The runtime image is the
# chiseled one: no shell and no package manager, so an -e hook must be an executable that needs no
# shell. For shell scripts, build on the plain runtime-deps image instead:
#   --build-arg RUNTIME_IMAGE=<registry>/dotnet/runtime-deps:10.0
# contrib/docker/compose.yaml shows host networking, NET_ADMIN and the volume for the hook.
ARG REGISTRY
ARG SDK_IMAGE=${REGISTRY}/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=${REGISTRY}/dotnet/runtime-deps:10.0-noble-chiseled

FROM ${SDK_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN ./scripts/container-build.sh /out

FROM ${RUNTIME_IMAGE}
COPY --from=build /out/natmap /usr/local/bin/natmap
# The images' non-root user (APP_UID, 1654). A plain mapping needs no privilege; -f (SO_MARK),
# binding to a device with -i, ports below 1024 and port takeover do: run those as root with the
# capability they need (compose.yaml).
USER $APP_UID
ENTRYPOINT ["/usr/local/bin/natmap"]
CMD ["--help"]
