# Runs inside the Raspberry Pi 3 guest: mmapkit's gpio command through /dev/mem. Each step's
# output is framed by @@BEGIN name / @@END name rc=N on the console for the host to check.
export MMAPKIT_BINDING=/opt/mmapkit/build-arm64/mmapkit.node
M="node /opt/mmapkit/dist/cli/main.js"
step() {
  name=$1; shift
  echo "@@BEGIN $name"
  "$@" 2>&1
  echo "@@END $name rc=$?"
}
step cmdline cat /proc/cmdline
if grep -q mmapkit.mode=strict /proc/cmdline; then
  # No iomem=relaxed: the kernel's pinctrl driver owns the range, strict /dev/mem refuses it.
  step strict $M gpio get 4
  exit 0
fi
# The command as users type it, in its own process: probe all 54 pins.
step get-json $M gpio get --json
# The rest in one process (steps framed by the script itself), ending as an unprivileged user.
node /guest-steps.js 2>&1
