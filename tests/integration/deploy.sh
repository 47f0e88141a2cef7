#!/bin/bash
# inclavared's deployment files: the systemd unit (deploy/systemd/inclavared.service) passes
# `systemd-analyze verify` with the built binary in its ExecStart and has the listeners and runtime
# directory the daemon needs; the DaemonSet (deploy/kubernetes/inclavared-daemonset.yaml) parses
# and has what the node daemon needs (the host's PID and network namespaces, privileged, the rune
# root) and what the API server would otherwise refuse (a selector selecting its template, mounts
# of declared volumes, absolute hostPaths). Neither is started: no systemd as PID 1, no cluster.
# Usage: INCLAVARED=/abs/path/to/inclavared bash tests/integration/deploy.sh
#   UNIT=FILE, DAEMONSET=FILE: check these instead of the repository's (a broken copy must fail);
#   PYTHON=INTERPRETER: instead of /usr/bin/python3 (Debian's, where python3-yaml installs PyYAML).
set -u
INCLAVARED=${INCLAVARED:?set INCLAVARED to the inclavared binary}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
UNIT=${UNIT:-$SRC/deploy/systemd/inclavared.service}
DAEMONSET=${DAEMONSET:-$SRC/deploy/kubernetes/inclavared-daemonset.yaml}
PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3

WORK=$(mktemp -d /tmp/deploy-it.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

. "$(dirname "$0")/runner.sh"

# The unit's lines with their continuations (a trailing backslash) joined.
joined_unit() { sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$1" | tr -s ' \t' ' '; }

t_unit_verifies() {
  command -v systemd-analyze >/dev/null ||
    fail "systemd-analyze is missing: install the systemd package (scripts/install-deps.sh)" || return 1
  [ -f "$UNIT" ] || fail "no unit at $UNIT" || return 1
  local exe unit=$WORK/inclavared.service esc line
  # ExecStart= must name an executable by its absolute path.
  exe=$(readlink -f -- "$INCLAVARED")
  [ -n "$exe" ] && [ -x "$exe" ] && [ -f "$exe" ] || fail "INCLAVARED=$INCLAVARED is not an executable file" || return 1

  # What the daemon needs from the unit, as installed.
  line=$(joined_unit "$UNIT" | grep -E '^ExecStart=')
  [ "$(printf '%s\n' "$line" | grep -c .)" = 1 ] || fail "not one ExecStart= line: [$line]" || return 1
  case "$line" in "ExecStart=/usr/local/bin/inclavared "*) ;;
    *) fail "ExecStart= does not run /usr/local/bin/inclavared: [$line]" || return 1 ;; esac
  case "$line" in *" --listen unix:///run/inclavared/"*) ;;
    *) fail "ExecStart= has no --listen unix:///run/inclavared/... (the RuntimeDirectory): [$line]" || return 1 ;; esac
  case "$line" in *" --listen tcp://"*) ;;
    *) fail "ExecStart= has no --listen tcp://...: [$line]" || return 1 ;; esac
  case "$line " in *" --rune-root /run/rune "*) ;;
    *) fail "ExecStart= has no --rune-root /run/rune: [$line]" || return 1 ;; esac
  grep -qx 'RuntimeDirectory=inclavared' "$UNIT" || fail "no RuntimeDirectory=inclavared" || return 1
  grep -qx 'Type=\(exec\|simple\)' "$UNIT" || fail "not Type=exec or simple (inclavared has no sd_notify)" || return 1

  # The copy runs $INCLAVARED, with an existing file as --rune.
  esc=$(printf '%s' "$exe" | sed 's/[\\#&]/\\&/g')
  sed -e "s#^ExecStart=/usr/local/bin/inclavared #ExecStart=$esc #" \
      -e "s#--rune /usr/local/bin/rune#--rune $esc#" "$UNIT" > "$unit"
  joined_unit "$unit" | grep -qF "ExecStart=$exe " || fail "ExecStart= not rewritten: $(grep ExecStart= "$unit")" || return 1
  joined_unit "$unit" | grep -qF -- "--rune $exe " || fail "--rune not rewritten" || return 1

  systemd-analyze verify "$unit" >"$WORK/verify.out" 2>&1; local rc=$?
  # Complaints about other units of this host are not this unit's.
  local mine; mine=$(grep -F inclavared.service "$WORK/verify.out")
  [ $rc = 0 ] || fail "systemd-analyze verify exits $rc: $(cat "$WORK/verify.out")" || return 1
  [ -z "$mine" ] || fail "systemd-analyze verify complains: $mine" || return 1
  [ -s "$WORK/verify.out" ] && echo "NOTE: systemd-analyze about other units: $(head -3 "$WORK/verify.out")"
  return 0
}

t_daemonset_parses() {
  "$PY" -c 'import yaml' 2>/dev/null ||
    fail "PyYAML is missing for $PY: install python3-yaml (scripts/install-deps.sh)" || return 1
  [ -f "$DAEMONSET" ] || fail "no DaemonSet at $DAEMONSET" || return 1
  "$PY" - "$DAEMONSET" <<'EOF'
import sys, yaml

bad = []
def check(ok, what):
    if not ok:
        bad.append(what)
    return ok

try:
    docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]
except yaml.YAMLError as e:
    print("not YAML: %s" % e)
    sys.exit(1)

def at(d, *keys):
    """d[k1][k2]...: None when a key is missing or a level is not a mapping (a list for ints)."""
    for k in keys:
        if isinstance(k, int):
            d = d[k] if isinstance(d, list) and len(d) > k else None
        else:
            d = d.get(k) if isinstance(d, dict) else None
    return d

namespaces = [at(d, "metadata", "name") for d in docs if at(d, "kind") == "Namespace"]
sets = [d for d in docs if at(d, "kind") == "DaemonSet"]
if not check(len(sets) == 1, "want one kind: DaemonSet, found %d" % len(sets)):
    print("\n".join(bad)); sys.exit(1)
ds = sets[0]
check(ds.get("apiVersion") == "apps/v1", "DaemonSet apiVersion is %r, not apps/v1" % ds.get("apiVersion"))
ns = at(ds, "metadata", "namespace")
check(ns == "inclavare-system", "DaemonSet namespace is %r, not inclavare-system" % ns)
check(ns in namespaces, "no Namespace object %r in the file (it has %r)" % (ns, namespaces))

pod = at(ds, "spec", "template", "spec") or {}
check(pod.get("hostPID") is True, "spec.template.spec.hostPID is %r, not true" % pod.get("hostPID"))
check(pod.get("hostNetwork") is True, "spec.template.spec.hostNetwork is %r, not true" % pod.get("hostNetwork"))

# The API server refuses a DaemonSet whose selector does not select its own template's labels.
sel = at(ds, "spec", "selector", "matchLabels")
labels = at(ds, "spec", "template", "metadata", "labels")
check(isinstance(sel, dict) and sel, "spec.selector.matchLabels is empty or missing: %r" % sel)
check(isinstance(labels, dict) and isinstance(sel, dict) and
      all(labels.get(k) == v for k, v in sel.items()),
      "spec.selector.matchLabels %r do not select the template's labels %r" % (sel, labels))

containers = pod.get("containers") or []
check(len(containers) == 1, "want one container, found %d" % len(containers))
volumes = {}
for v in pod.get("volumes") or []:
    volumes[at(v, "name")] = v
    path = at(v, "hostPath", "path")
    if "hostPath" in v:
        check(isinstance(path, str) and path.startswith("/"),
              "volume %r: hostPath path %r is not absolute" % (at(v, "name"), path))

for c in containers + (pod.get("initContainers") or []):
    name = at(c, "name")
    check(at(c, "securityContext", "privileged") is True, "container %r is not privileged" % name)
    argv = (c.get("command") or []) + (c.get("args") or [])
    check(all(isinstance(a, str) for a in argv), "container %r: an argument is not a string: %r" % (name, argv))
    argv = [str(a) for a in argv]
    def value_of(flag):
        return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]
    check("--listen" in argv, "container %r: no --listen in %r" % (name, argv))
    check(value_of("--rune-root") == ["/run/rune"], "container %r: not --rune-root /run/rune: %r" % (name, argv))
    mounts = c.get("volumeMounts") or []
    for m in mounts:
        check(at(m, "name") in volumes, "container %r: volumeMount %r has no volume" % (name, at(m, "name")))
    mounted = [at(m, "mountPath") for m in mounts]
    # What inclavared is told to use is mounted from the host.
    for flag in ("--rune", "--rune-root"):
        for p in value_of(flag):
            check(p in mounted, "container %r: %s %s is not a volumeMount's path (%r)" % (name, flag, p, mounted))
    for a in value_of("--listen"):
        if a.startswith("unix://"):
            d = a[len("unix://"):].rsplit("/", 1)[0]
            check(d in mounted, "container %r: the socket's directory %s is not mounted" % (name, d))
    # The probe knocks at a port the container declares (by number or by name).
    port = at(c, "readinessProbe", "tcpSocket", "port")
    ports = [at(p, "containerPort") for p in c.get("ports") or []] + [at(p, "name") for p in c.get("ports") or []]
    if c in containers:
        check(port is not None and port in ports,
              "container %r: readinessProbe tcpSocket port %r is not one of its ports %r" % (name, port, ports))

if bad:
    print("\n".join(bad))
    sys.exit(1)
EOF
}

run_tests
