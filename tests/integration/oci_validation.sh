#!/bin/bash
# Runs the shared OCI conformance suite (../shared/tools/oci-validation.sh) against rune and
# checks that every test rune must pass does pass. Only delete_created_fails (which runc and crun
# fail too: containerd relies on deleting a created container) is reported but not required.
set -u
RUNE=${RUNE:?set RUNE to the rune binary}
HERE=$(cd "$(dirname "$0")" && pwd)
SUITE=${OCI_SUITE:-$HERE/../../../shared/tools/oci-validation.sh}
if [ ! -f "$SUITE" ]; then
  # CI places ../shared beside the repository: there, a missing suite is a failure, not a skip.
  [ "${CI:-}" = true ] && { echo "FAIL: $SUITE not found (CI=true requires ../shared/tools)"; exit 1; }
  echo "SKIP: $SUITE not found (../shared is beside the repo in CI)"; exit 77
fi
REQUIRED="bundle_config_valid spec_template_valid run_exit_zero run_exit_code_propagated
args_execvp_path_lookup stderr_passthrough state_created create_does_not_run_process
create_duplicate_id_fails start_running start_twice_fails state_pid_is_container_process
stopped_after_exit kill_delivers_signal kill_numeric_signal kill_created_container kill_stopped_fails
delete_running_fails delete_stopped state_nonexistent_fails delete_nonexistent_fails
kill_nonexistent_fails start_nonexistent_fails state_annotations process_env process_cwd
process_user_uid_gid process_additional_gids process_umask process_rlimit_nofile
process_capabilities process_ambient_caps process_no_new_privileges process_oom_score_adj hostname
domainname root_readonly root_path_absolute mount_tmpfs mount_bind_ro mount_creates_destination
masked_paths readonly_paths sysctl default_devices default_dev_symlinks linux_devices
device_cgroup_denies ns_pid ns_net ns_ipc ns_uts ns_mount ns_cgroup ns_host_net_shared ns_join_path ns_user_mappings
cgroups_path cgroup_memory_limit cgroup_pids_limit cgroup_cpu_shares cgroup_cpu_quota cgroup_cpuset
seccomp_errno seccomp_kill_default hook_prestart hook_createRuntime hook_poststart hook_poststop
hook_startContainer hook_prestart_failure_aborts"
# The kernel refuses new user namespaces to a chrooted process (CI's fresh-machine root): there,
# ns_user_mappings cannot pass with any runtime and is reported, not required.
if ! unshare --user true 2>/dev/null; then
  echo "# NOTE: user namespaces are refused here (chroot?): ns_user_mappings not required"
  REQUIRED=${REQUIRED/ ns_user_mappings/}
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bash "$SUITE" "$(realpath "$RUNE")" >"$out" 2>&1
cat "$out"
missing=0
for t in $REQUIRED; do
  if ! grep -qE "^ok [0-9]+ - $t( |$)" "$out"; then echo "# REQUIRED TEST DID NOT PASS: $t"; missing=$((missing+1)); fi
done
n=$(echo $REQUIRED | wc -w)
echo "# required: $((n-missing)) of $n pass (OCI_HYBRID_FIX=${OCI_HYBRID_FIX:-auto})"
[ $missing = 0 ]
