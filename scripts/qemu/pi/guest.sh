# Runs inside the Raspberry Pi 3 guest: mmapkit's gpio command through /dev/mem. Each step's
# output is framed by @@BEGIN name / @@END name rc=N on the console for the host to check.
export MMAPKIT_BINDING=/opt/mmapkit/build-arm64/mmapkit.node
M="node /opt/mmapkit/dist/cli/main.js"
step() {
  name=$1; shift
  echo "@@BEGIN $name"
  "$@"
  echo "@@END $name rc=$?"
}
step cmdline cat /proc/cmdline
step node node -p 'process.version + " napi " + process.versions.napi + " " + process.arch'
step info $M gpio info --json
step get-json $M gpio get --json
step get-text $M gpio get 0-15
step raspi-gpio $M gpio get 14,15 --format raspi-gpio
step set-op-dh $M gpio set 4 op dh
step get4-high $M gpio get 4 --json
step set-dl $M gpio set 4 dl
step get4-low $M gpio get 4 --json
