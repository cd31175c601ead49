# Sourced by the benchmarks that compare with Docker: a private dockerd
# under WORK (its own data, exec root and socket; no iptables, no bridge),
# DOCKER_HOST pointing at it, and the rootfs tarball WORK/rootfs.tar
# imported as kbox:latest.  Usage: bench_dockerd WORK [DOCKERD OPTIONS...]
bench_dockerd() {
	w=$1
	shift
	dockerd "$@" --data-root "$w/data" --exec-root "$w/exec" --pidfile "$w/docker.pid" \
		-H "unix://$w/docker.sock" --iptables=false --bridge=none >"$w/dockerd.log" 2>&1 &
	export DOCKER_HOST="unix://$w/docker.sock"
	i=0
	until docker version >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 300 ] || { cat "$w/dockerd.log"; exit 1; }
		sleep 0.1 # dockerd says nothing when its socket is ready
	done
	docker import "$w/rootfs.tar" kbox:latest >/dev/null
}
