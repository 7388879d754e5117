#!/bin/busybox sh
# /init of the te_bench test guests (copied into the initramfs by prepare.sh).
#
# Runs as PID 1 under busybox ash. Steps: load modules -> mount the run dir (writable 9p,
# tag "terun") -> mount the host's / read-only (tag "hostroot") at /mnt/root with tmpfs
# and proc/sys/dev inside -> mount the --share exports at their host paths -> configure
# the data NIC + management NIC -> rdma link add rxe0 (and rxe1 on a second data NIC, for
# run_in_guest.sh --nic2) -> wait for PORT_ACTIVE -> barrier with the other guests -> run
# job.sh chrooted -> write rc.<idx> -> power off.
#
# Everything the guest reports goes to files in the run dir (out.<idx>, rc.<idx>,
# fail.<idx>) so that kernel messages on the serial console never mix with job output;
# progress markers ("te_vm: ...") also go to the console for debugging.
/bin/busybox --install -s
export PATH=/bin:/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo 1 >/proc/sys/kernel/printk   # keep the console (and its slow TCG UART) quiet

RUN=/mnt/te_run
ROOT=/mnt/root
IDX=0
for a in $(cat /proc/cmdline); do
  case $a in te_idx=*) IDX=${a#te_idx=} ;; esac
done

say() { echo "te_vm[$IDX] $(cut -d" " -f1 /proc/uptime): $*" >/dev/console; }
off() {
  sync
  poweroff -f
  echo o >/proc/sysrq-trigger   # poweroff -f should not return; never fall through
  sleep 5
  exit 1                       # PID 1 exiting panics; panic=-1 + -no-reboot ends QEMU
}
die() {
  say "FATAL: $*"
  [ -d $RUN/. ] && echo "$*" >$RUN/fail.$IDX 2>/dev/null
  off
}

say "init start"
for m in $(cat /etc/modules.order); do
  insmod /lib/modules/$m || die "insmod $m failed"
done
say "modules loaded"

P9="trans=virtio,version=9p2000.L,msize=262144"
mount -t 9p -o $P9 terun $RUN || die "mount of the run dir (9p tag terun) failed"
[ -f $RUN/guest.$IDX.env ] || die "missing guest.$IDX.env in the run dir"
. $RUN/guest.$IDX.env

# --- host root, read-only, with private writable scratch dirs ---------------------------
mount -t 9p -o $P9,ro hostroot $ROOT || die "mount of the host root (9p) failed"
mount -t proc proc $ROOT/proc || die "mount proc in root failed"
mount -t sysfs sysfs $ROOT/sys || die "mount sysfs in root failed"
mount -t devtmpfs devtmpfs $ROOT/dev || die "mount devtmpfs in root failed"
mkdir -p $ROOT/dev/pts $ROOT/dev/shm
mount -t devpts devpts $ROOT/dev/pts
for d in tmp run dev/shm var/tmp; do
  mount -t tmpfs -o mode=1777 tmpfs $ROOT/$d || die "tmpfs on /$d failed"
done
mkdir -p $ROOT/run/te_vm
mount -o bind $RUN $ROOT/run/te_vm || die "bind of the run dir failed"
# /etc/hosts with vm0/vm1 (Open MPI and friends resolve host names).
mount -o bind $RUN/hosts $ROOT/etc/hosts || die "bind of /etc/hosts failed"

# --- writable shares, mounted at the same path as on the host ---------------------------
# "shares" lines: <mount_tag> <TAB> <absolute path>, sorted so parents come first.
if [ -f $RUN/shares ]; then
  while IFS="	" read -r tag path; do
    [ -n "$tag" ] || continue
    mkdir -p "$ROOT$path" || die "cannot create mount point $path (parent read-only?)"
    mount -t 9p -o $P9 "$tag" "$ROOT$path" || die "mount of share $path failed"
  done <$RUN/shares
fi

say "file systems mounted"

# --- network ----------------------------------------------------------------------------
# NICs are found by MAC (set by run_in_guest.sh), not by probe order.
DATA_IF="" MGMT_IF=""
for d in /sys/class/net/*; do
  mac=$(cat $d/address)
  [ "$mac" = "$TE_VM_DATA_MAC" ] && DATA_IF=${d##*/}
  [ "$mac" = "$TE_VM_MGMT_MAC" ] && MGMT_IF=${d##*/}
done
[ -n "$DATA_IF" ] || die "no NIC with MAC $TE_VM_DATA_MAC"
[ -n "$MGMT_IF" ] || die "no NIC with MAC $TE_VM_MGMT_MAC"
hostname "$TE_VM_HOSTNAME"
ip link set lo up
ip link set "$DATA_IF" up
ip addr add "$TE_VM_DATA_IP/24" dev "$DATA_IF" || die "ip addr on $DATA_IF failed"
# run_in_guest.sh --nic2: a second address (another subnet) on the data NIC, or a second
# data NIC. Two NICs on one L2: each answers ARP only for its own addresses, and asks with
# its own, so that the frames for one rxe never arrive on the other's netdev.
if [ -n "${TE_VM_DATA_ALT_IP:-}" ]; then
  ip addr add "$TE_VM_DATA_ALT_IP/24" dev "$DATA_IF" || die "ip addr $TE_VM_DATA_ALT_IP on $DATA_IF failed"
fi
DATA2_IF=""
if [ -n "${TE_VM_DATA2_MAC:-}" ]; then
  for d in /sys/class/net/*; do
    [ "$(cat $d/address)" = "$TE_VM_DATA2_MAC" ] && DATA2_IF=${d##*/}
  done
  [ -n "$DATA2_IF" ] || die "no NIC with MAC $TE_VM_DATA2_MAC"
  for c in all default "$DATA_IF" "$DATA2_IF"; do
    echo 1 >/proc/sys/net/ipv4/conf/$c/arp_ignore && echo 2 >/proc/sys/net/ipv4/conf/$c/arp_announce \
      || die "arp_ignore / arp_announce on $c failed"
  done
  ip link set "$DATA2_IF" up
  ip addr add "$TE_VM_DATA2_IP/24" dev "$DATA2_IF" || die "ip addr on $DATA2_IF failed"
fi
ip link set "$MGMT_IF" up
ip addr add "$TE_VM_MGMT_IP/24" dev "$MGMT_IF" || die "ip addr on $MGMT_IF failed"

# --- Soft-RoCE (rdma tool and ibv_devinfo are the host's binaries, hence chroot) ---------
# add_rxe NAME NETDEV: a Soft-RoCE device on NETDEV, waited for until PORT_ACTIVE (20 s).
add_rxe() {
  chroot $ROOT rdma link add "$1" type rxe netdev "$2" >/dev/console 2>&1 \
    || die "rdma link add $1 netdev $2 failed"
  local i=0
  until chroot $ROOT ibv_devinfo -d "$1" 2>/dev/null | grep -q PORT_ACTIVE; do
    i=$((i + 1))
    [ $i -le 100 ] || die "$1 not PORT_ACTIVE after 20 s"
    sleep 0.2
  done
}
add_rxe rxe0 "$DATA_IF"
say "rxe0 PORT_ACTIVE on $DATA_IF $TE_VM_DATA_IP${TE_VM_DATA_ALT_IP:+ $TE_VM_DATA_ALT_IP}"
if [ -n "$DATA2_IF" ]; then
  add_rxe rxe1 "$DATA2_IF"
  say "rxe1 PORT_ACTIVE on $DATA2_IF $TE_VM_DATA2_IP"
fi

# --- barrier: start the job only when every guest is ready (bounded wait) ---------------
touch $RUN/ready.$IDX
i=0
while :; do
  n=0
  for f in $RUN/ready.*; do [ -e "$f" ] && n=$((n + 1)); done
  [ $n -ge "$TE_VM_COUNT" ] && break
  i=$((i + 1))
  [ $i -le 1200 ] || die "other guests not ready after 120 s"
  sleep 0.1
done

say "job start"
env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root USER=root LOGNAME=root TERM=dumb LANG=C.UTF-8 \
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
  TE_VM=1 TE_VM_INDEX="$IDX" TE_VM_COUNT="$TE_VM_COUNT" TE_VM_DATA_IP="$TE_VM_DATA_IP" \
  TE_VM_DATA_IF="$DATA_IF" TE_VM_HOST_IP="$TE_VM_HOST_IP" TE_VM_PEER_IPS="$TE_VM_PEER_IPS" \
  TE_VM_DATA2_IF="$DATA2_IF" TE_VM_DATA2_IP="${TE_VM_DATA2_IP:-}" TE_VM_DATA_ALT_IP="${TE_VM_DATA_ALT_IP:-}" \
  chroot $ROOT /bin/bash /run/te_vm/job.sh </dev/null >>$RUN/out.$IDX 2>&1
rc=$?
echo $rc >$RUN/rc.$IDX.tmp && mv $RUN/rc.$IDX.tmp $RUN/rc.$IDX
say "job exit $rc"
off
