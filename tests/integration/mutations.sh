#!/bin/bash
# A mutation corpus: every scalar of a full config (`rune spec` plus resources, seccomp, hooks,
# rlimits) replaced in turn by a value of the wrong type, an out-of-range number, an empty
# string, a string with a NUL byte, a 64 KiB string, null — and deleted. For each, `rune create`
# must either create the container (then delete removes it) or fail with exit 1 and an error that
# names the field or the input; never crash, hang, or leave a state dir, cgroup or mount behind.
. "$(dirname "$0")/lib.sh"

t_every_field_mutated() {
  bundle base
  cfg '.process.args=["/bin/sleep","30"] | .process.rlimits=[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}]
    | .linux.resources={"memory":{"limit":67108864},"cpu":{"shares":512,"quota":50000,"period":100000},"pids":{"limit":100},"blockIO":{"weight":0}}
    | .linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":1,"args":[{"index":0,"value":0,"op":"SCMP_CMP_NE"}]}]}
    | .hooks={"createRuntime":[{"path":"/bin/true","args":["true"],"timeout":5}]}
    | .annotations={"a":"b"}'
  local base_cfg; base_cfg=$(cat "$B/config.json")
  local long; long=$(head -c 65536 /dev/zero | tr '\0' x)
  local -a muts=('"text"' '4294967296' '-1' '""' '"a\u0000b"' "\"$long\"" 'null' '{}' 'DELETE')
  local paths n=0 created=0 refused=0 p m i rc lines
  mapfile -t paths < <(echo "$base_cfg" | jq -c 'paths(scalars)')
  for p in "${paths[@]}"; do
    for m in "${muts[@]}"; do
      n=$((n + 1)); i=m$n-$$
      if [ "$m" = DELETE ]; then
        echo "$base_cfg" | jq --argjson p "$p" 'delpaths([$p])' > "$B/config.json"
      else
        echo "$base_cfg" | jq --argjson p "$p" --argjson v "$m" 'setpath($p; $v)' > "$B/config.json"
      fi
      timeout 20 "$RUNE" --root "$ROOT" create --bundle "$B" "$i" </dev/null >/dev/null 2>"$B/err"; rc=$?
      if [ $rc = 0 ]; then
        created=$((created + 1))
        R delete -f "$i" 2>>"$B/err" || { fail "$p := ${m:0:20}: delete -f failed: $(head -c 300 "$B/err")"; return 1; }
      else
        refused=$((refused + 1))
        [ $rc = 1 ] || { fail "$p := ${m:0:20}: exit $rc (crash or hang?): $(head -c 300 "$B/err")"; return 1; }
        lines=$(wc -l < "$B/err")
        [ "$lines" -le 2 ] && [ "$(wc -c < "$B/err")" -le 8192 ] || { fail "$p := ${m:0:20}: $lines lines of error: $(head -c 300 "$B/err")"; return 1; }
        grep -qE '`|config.json' "$B/err" || { fail "$p := ${m:0:20}: the error names nothing: $(head -c 300 "$B/err")"; return 1; }
      fi
      assert_no_leftovers "$i" || { echo "after $p := ${m:0:20}"; return 1; }
    done
  done
  echo "NOTE: $n mutations of ${#paths[@]} fields: $created created, $refused refused"
  [ $n -ge 300 ] || fail "only $n mutations"
}

run_tests
