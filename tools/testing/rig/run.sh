#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh: run test programs against KVM inside an emulated x86 host.
#
# Builds an initramfs (busybox, the KVM modules, the test programs and the
# shared libraries they need, init.sh as /init), boots Debian's kernel with
# it in QEMU TCG "-cpu max" (an AMD host with SVM+NPT: --host svm) or in
# Bochs (an Intel host with VMX+EPT: --host vmx), loads either kvmx's
# modules (the default) or the distro's own KVM (--ref), runs every test in
# that one boot with a time limit each, unloads the modules, checks the
# kernel log, and reports one line per result and a summary line.
# Exit status: 0 if nothing failed, 1 if something failed, 2 on usage or
# setup errors.  See Documentation/testing.rst.

set -euo pipefail

# The whole script is one compound command, read before it runs: editing
# this file cannot derail runs in progress.
{

RIG=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$RIG/../../.." && pwd)

usage() {
	cat <<EOF
usage: $0 [options] [TEST...]
  Run the TEST programs (kselftest/TAP programs, or any program whose exit
  status 0/4/other means pass/skip/fail) in an emulated host.

  --host svm|vmx       emulated host: QEMU TCG AMD SVM (default) or Bochs Intel VMX
  --ref                load the distro's KVM from /lib/modules/KVER instead of kvmx
  --kdir DIR           kernel headers the modules were built against; the host
                       boots the matching /boot/vmlinuz (default: newest
                       /usr/src/linux-headers-*-amd64, as the top Makefile)
  --modules DIR        where kvm.ko, kvm-amd.ko, kvm-intel.ko are (default: $TOP)
  --list FILE          more tests, one per line: PATH [TIMEOUT]; '#' comments
  --name-base DIR      name tests by their path relative to DIR (default: basename);
                       may be repeated, the first DIR containing the test counts
  --timeout SECS       per-test time limit (default: 120 svm, 300 vmx; guest time)
  --outer-timeout SECS kill the emulator after this long (default: computed)
  --cpus N             emulated CPUs (default: 2 svm, 1 vmx)
  --mem MB             emulated memory (default: 2048 svm, 1024 vmx)
  --append ARGS        more kernel command line
  --modparam 'MOD ARGS'  insmod arguments for module MOD (e.g. 'kvm-amd nested=0')
  --stage-alt          also put the other module set (the distro's KVM, or kvmx's
                       with --ref) in /kvmx/alt, not loaded, for programs that
                       swap module sets (the benchmark)
  --icount             QEMU: -icount shift=0,sleep=off (the guest's clock and TSC
                       count executed instructions); Bochs' clock already does
  --out DIR            output directory (default: $TOP/build/rig/HOST-MODE-KVER)
  -v, --verbose        also show the serial console as it runs
  -h, --help           this text
EOF
}

die() { echo "rig: $*" >&2; exit 2; }
note() { echo "rig: $*" >&2; }

host=svm mode=ours kdir= moddir=$TOP list= timeout= outer= cpus= mem=
append= out= verbose=0 accel=${RIG_QEMU_ACCEL:-tcg,thread=single}
stage_alt=0 icount=0
declare -a tests=() test_limits=() modparams=() name_bases=()

while [ $# -gt 0 ]; do
	case $1 in
	--host) host=${2:?}; shift ;;
	--ref) mode=ref ;;
	--kdir) kdir=${2:?}; shift ;;
	--modules) moddir=${2:?}; shift ;;
	--list) list=${2:?}; shift ;;
	--name-base) name_bases+=("${2:?}"); shift ;;
	--timeout) timeout=${2:?}; shift ;;
	--outer-timeout) outer=${2:?}; shift ;;
	--cpus) cpus=${2:?}; shift ;;
	--mem) mem=${2:?}; shift ;;
	--append) append=${2:?}; shift ;;
	--modparam) modparams+=("${2:?}"); shift ;;
	--stage-alt) stage_alt=1 ;;
	--icount) icount=1 ;;
	--out) out=${2:?}; shift ;;
	-v|--verbose) verbose=1 ;;
	-h|--help) usage; exit 0 ;;
	--) shift; tests+=("$@"); for _ in "$@"; do test_limits+=(""); done; break ;;
	-*) usage >&2; exit 2 ;;
	*) tests+=("$1"); test_limits+=("") ;;
	esac
	shift
done

case $host in
svm) vendor_ko=kvm-amd vendor=kvm_amd
     : "${timeout:=120}" "${cpus:=2}" "${mem:=2048}"
     boot_budget=240 time_factor=2 phase_budget=300 ;;
vmx) vendor_ko=kvm-intel vendor=kvm_intel
     : "${timeout:=300}" "${cpus:=1}" "${mem:=1024}"
     boot_budget=900 time_factor=3 phase_budget=600 ;;
*) die "--host must be svm or vmx" ;;
esac

if [ -n "$list" ]; then
	[ -r "$list" ] || die "cannot read test list $list"
	while read -r path limit _; do
		case $path in ''|'#'*) continue ;; esac
		tests+=("$path")
		test_limits+=("${limit:-}")
	done <"$list"
fi

# ---- kernel --------------------------------------------------------------
if [ -z "$kdir" ]; then
	kdir=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
	[ -n "$kdir" ] || die "no /usr/src/linux-headers-*-amd64: run tools/testing/rig/setup.sh"
fi
kdir=${kdir%/}
kver=$(basename "$kdir")
kver=${kver#linux-headers-}
kernel=/boot/vmlinuz-$kver
libmod=/lib/modules/$kver
[ -r "$kernel" ] || die "no $kernel to boot for headers $kdir (install linux-image-$kver)"
[ -r "$libmod/modules.dep" ] || die "no $libmod/modules.dep (install linux-image-$kver)"

: "${out:=$TOP/build/rig/$host-$mode-$kver}"
mkdir -p "$out"
out=$(cd "$out" && pwd)
# One run at a time per output directory (several people may share a tree).
exec 9>"$out.lock"
if ! flock -n 9; then
	note "waiting for another run using $out"
	flock 9
fi
stage=$out/root
rm -rf "$stage" "$out/logs" "$out/iso"
rm -f "$out"/{serial.log,emulator.log,bochs.log,results.txt,initrd.gz,boot.iso,bochsrc,bochs.cmd,cpu-state.txt}
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,run,kvmx/modules,tests} "$out/logs"

# ---- modules -------------------------------------------------------------
declare -A mod_done=()
load_list=$stage/kvmx/load.list
: >"$load_list"

# Path of module NAME ("kvm_amd" or "kvm-amd"): kvmx's own first (unless
# --ref), then the distro's, via modules.dep.
find_module() {
	local name=$1 re p
	if [ "$mode" = ours ]; then
		for p in "$moddir/${name//_/-}.ko" "$moddir/${name//-/_}.ko"; do
			[ -e "$p" ] && { echo "$p"; return; }
		done
	fi
	re=${name//[-_]/[-_]}
	p=$(grep -oE "^([^:]*/)?$re\\.ko(\\.xz|\\.zst|\\.gz)?:" "$libmod/modules.dep" | head -n 1)
	[ -n "$p" ] || return 1
	echo "$libmod/${p%:}"
}

# unpack_module SRC DEST: decompressed (busybox insmod takes plain ELF only).
unpack_module() {
	case $1 in
	*.xz) xz -dc "$1" >"$2" ;;
	*.zst) zstd -qdc "$1" >"$2" ;;
	*.gz) gzip -dc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

# module_args FILE: the --modparam arguments for module file FILE (x.ko).
module_args() {
	local m args=
	for m in "${modparams[@]}"; do
		[ "${m%% *}" = "${1%.ko}" ] && args=${m#* }
	done
	echo "$args"
}

# add_module PATH [DIR MODE]: copy a module into the initramfs, decompressed,
# as DIR/modules/NAME (default DIR: /kvmx, the set loaded at boot), after
# its dependencies (looked up as find_module does in MODE, default $mode);
# append it to DIR/load.list.
add_module() {
	local path=$1 dir=${2:-$stage/kvmx} set_mode=${3:-$mode} base dest dep m
	base=$(basename "$path")
	base=${base%.xz}; base=${base%.zst}; base=${base%.gz}
	[ -z "${mod_done[$dir/$base]:-}" ] || return 0
	mod_done[$dir/$base]=1
	dest=$dir/modules/$base
	unpack_module "$path" "$dest"
	for dep in $(modinfo -F depends "$dest" | tr ',' ' '); do
		m=$(mode=$set_mode find_module "$dep") || die "module $base needs $dep, which is nowhere"
		add_module "$m" "$dir" "$set_mode"
	done
	printf '%s %s\n' "$base" "$(module_args "$base")" >>"$dir/load.list"
}

# kvmx's modules must be there, built for the kernel the host boots.
check_our_modules() {
	local m magic
	for m in kvm "$vendor_ko"; do
		[ -e "$moddir/$m.ko" ] || die "no $moddir/$m.ko: build the modules first (make KDIR=$kdir)"
		magic=$(modinfo -F vermagic "$moddir/$m.ko" | awk '{print $1}')
		[ "$magic" = "$kver" ] ||
			die "$moddir/$m.ko was built for $magic, not $kver: make clean; make KDIR=$kdir"
	done
}

if [ "$mode" = ours ]; then
	check_our_modules
	vendor_path=$moddir/$vendor_ko.ko
else
	vendor_path=$(find_module "$vendor_ko") || die "no $vendor_ko in $libmod"
fi
add_module "$vendor_path"

# The other vendor's module, not loaded: in /kvmx/extra for tests that
# check it refuses to load on this CPU.  Its dependencies are loaded (for
# the distro's kvm-amd on the VMX host: ccp), so that only the CPU check
# can refuse it.
if [ "$host" = svm ]; then other_ko=kvm-intel; else other_ko=kvm-amd; fi
other_path=
if [ "$mode" = ours ]; then
	[ ! -e "$moddir/$other_ko.ko" ] || other_path=$moddir/$other_ko.ko
else
	other_path=$(find_module "$other_ko") || other_path=
fi
if [ -n "$other_path" ]; then
	mkdir -p "$stage/kvmx/extra"
	unpack_module "$other_path" "$stage/kvmx/extra/$other_ko.ko"
	for dep in $(modinfo -F depends "$stage/kvmx/extra/$other_ko.ko" | tr ',' ' '); do
		m=$(find_module "$dep") || die "module $other_ko needs $dep, which is nowhere"
		add_module "$m"
	done
fi

# The other set, not loaded (--stage-alt): the distro's KVM, or with
# --ref kvmx's, in /kvmx/alt/modules with its load order (dependencies
# first) in /kvmx/alt/load.list, in the format of /kvmx/load.list.  A
# program may unload the set the rig loaded and load this one
# (tools/testing/bench); modules the two sets share are staged in both.
alt_mode=
if [ "$stage_alt" = 1 ]; then
	if [ "$mode" = ours ]; then
		alt_mode=ref
		m=$(mode=ref find_module "$vendor_ko") || die "no $vendor_ko in $libmod"
	else
		alt_mode=ours
		check_our_modules
		m=$moddir/$vendor_ko.ko
	fi
	mkdir -p "$stage/kvmx/alt/modules"
	: >"$stage/kvmx/alt/load.list"
	add_module "$m" "$stage/kvmx/alt" "$alt_mode"
fi

# ---- busybox, tests, libraries -----------------------------------------
bb=$(command -v busybox || true)
[ -x /bin/busybox ] && bb=/bin/busybox
[ -n "$bb" ] || die "no busybox: run tools/testing/rig/setup.sh"
cp "$bb" "$stage/bin/busybox"
for applet in $("$bb" --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$stage/bin/$applet"
done
ln -s bin "$stage/sbin"
mkdir -p "$stage/usr"
ln -s ../bin "$stage/usr/bin"
ln -s ../bin "$stage/usr/sbin"
install -m 0755 "$RIG/init.sh" "$stage/init"
install -m 0755 "$RIG/hangdiag.sh" "$stage/kvmx/hangdiag.sh"

declare -A lib_done=()
copy_libs() {
	local lib
	# "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)"
	for lib in $(ldd "$1" 2>/dev/null | grep -oE '(=> )?/[^ ]+' | sed 's/^=> //'); do
		[ -z "${lib_done[$lib]:-}" ] || continue
		lib_done[$lib]=1
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
}

declare -A test_names=()
tests_list=$stage/kvmx/tests.list
: >"$tests_list"
sum_limits=0
idx=0
for i in "${!tests[@]}"; do
	path=${tests[$i]}
	[ -f "$path" ] && [ -x "$path" ] || die "test $path is not an executable file"
	path=$(cd "$(dirname "$path")" && pwd)/$(basename "$path")
	name=$(basename "$path")
	for base in "${name_bases[@]}"; do
		base=$(cd "$base" 2>/dev/null && pwd) || continue
		case $path in "$base"/*) name=${path#"$base"/}; break ;; esac
	done
	limit=${test_limits[$i]:-$timeout}
	[ -z "${test_names[$name]:-}" ] || die "two tests named $name: use --name-base"
	test_names[$name]=1
	idx=$((idx + 1))
	mkdir -p "$stage/tests/$(dirname "$name")"
	cp -L "$path" "$stage/tests/$name"
	strip --strip-debug "$stage/tests/$name" 2>/dev/null || true
	copy_libs "$path"
	printf '%s\t%s\t%s\t%s\n' "$idx" "$limit" "$name" "/tests/$name" >>"$tests_list"
	sum_limits=$((sum_limits + limit))
done
cp "$tests_list" "$out/tests.list"

unload="$vendor kvm"
cat >"$stage/kvmx/config" <<EOF
RIG_HOST=$host
RIG_MODE=$mode
RIG_VENDOR=$vendor
RIG_UNLOAD="$unload"
RIG_UNLOAD_TIMEOUT=60
RIG_ALT_MODE=$alt_mode
EOF

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$out/initrd.gz"

# ---- boot ----------------------------------------------------------------
# nokaslr: addresses in a hung host's register dump then mean the same
# from boot to boot.
cmdline="console=ttyS0 quiet panic=-1 nokaslr $append"
serial=$out/serial.log
: >"$serial"

if [ "$host" = svm ]; then
	# Round-robin TCG (one host thread for all vCPUs): with multi-threaded
	# TCG, a CPU can run stale code while another patches kernel text, and
	# the static key flipped by every KVM VM creation (preempt notifiers,
	# in __schedule) then ends in "Oops: int3" within a few runs.
	: "${outer:=$((boot_budget + sum_limits * time_factor + 300))}"
	emu=(qemu-system-x86_64 -accel "$accel" -cpu max -m "$mem" -smp "$cpus"
	     -nographic -no-reboot -kernel "$kernel" -initrd "$out/initrd.gz"
	     -append "$cmdline" -monitor "pipe:$out/monitor")
	# Guest time = instructions executed (1 ns each), whatever this
	# machine's load: what the benchmark's TSC figures are counted in.
	[ "$icount" = 0 ] || emu+=(-icount shift=0,sleep=off)
	emu_out=$serial
else
	# Bochs: no direct kernel boot, so an isolinux CD.  Its debugger waits
	# for a command before running: "c" on stdin.  rfb with timeout=0 runs
	# without a display.  The dummy sound driver: with no sound card, the
	# ALSA one makes Bochs 2.7 abort ("buffer overflow detected").
	: "${outer:=$((boot_budget + sum_limits * time_factor + 600))}"
	iso=$out/iso
	mkdir -p "$iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
	cp "$kernel" "$iso/vmlinuz"
	cp "$out/initrd.gz" "$iso/initrd.gz"
	printf 'DEFAULT l\nLABEL l\n KERNEL /vmlinuz\n APPEND initrd=/initrd.gz %s\n' \
		"$cmdline" >"$iso/isolinux/isolinux.cfg"
	xorriso -as mkisofs -quiet -o "$out/boot.iso" -b isolinux/isolinux.bin \
		-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 \
		-boot-info-table "$iso" 2>/dev/null
	rm -rf "$iso"
	cat >"$out/bochsrc" <<EOF
megs: $mem
cpu: model=corei7_skylake_x, count=$cpus, ips=200000000
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
ata0-master: type=cdrom, path=$out/boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$serial
display_library: rfb, options="timeout=0"
log: $out/bochs.log
clock: sync=none, time0=local
speaker: enabled=0
sound: driver=dummy
EOF
	emu=(bochs -q -f "$out/bochsrc")
	emu_out=$out/emulator.log
fi

# The emulator's control channel, for a register dump if the host hangs:
# QEMU's monitor (a pair of FIFOs), or Bochs' debugger on its stdin (whose
# first command, "c", starts the simulation).  Held open read-write here,
# so that neither side blocks or sees an end of file.
rm -f "$out/monitor.in" "$out/monitor.out" "$out/bochs.in"
if [ "$host" = svm ]; then
	mkfifo "$out/monitor.in" "$out/monitor.out"
	exec 7<>"$out/monitor.in" 6<>"$out/monitor.out"
	emu_in=/dev/null
else
	mkfifo "$out/bochs.in"
	exec 7<>"$out/bochs.in"
	printf 'c\n' >&7
	emu_in=$out/bochs.in
fi

# dump_cpu_state: ask the emulator for the CPUs' registers, into
# $out/cpu-state.txt, with addresses inside the modules annotated.
dump_cpu_state() {
	local pid mods
	: >"$out/cpu-state.txt"
	if [ "$host" = svm ]; then
		printf 'info registers -a\n' >&7
		timeout 3 cat "$out/monitor.out" 2>/dev/null |
			grep -avE '^(XMM|YMM|ZMM|FPR|FCW|Opmask|MXCSR|QEMU )|\(qemu\)' >"$out/cpu-state.raw" || true
	else
		pid=$(ps -eo pid=,pgid=,comm= | awk -v g="$emu_pid" '$2 == g && $3 == "bochs-bin" { print $1 }')
		[ -n "$pid" ] || return 0
		local before
		before=$(wc -c <"$out/emulator.log")
		kill -INT $pid 2>/dev/null || return 0
		sleep 2
		printf 'r\nsreg\ncreg\nu /12\n' >&7
		sleep 3
		tail -c +$((before + 1)) "$out/emulator.log" | grep -av '^[0-9]\{11\}[ie]\[' >"$out/cpu-state.raw" || true
	fi
	# "@@KVMX MODULE name size base" lines: where each module is.
	mods=$(grep -a '^@@KVMX MODULE ' "$serial" | tr -d '\r' | awk '{ print $3, $4, $5 }')
	awk -v mods="$mods" '
		function hex(s,    i, c, v) {
			v = 0; s = tolower(s); sub(/^0x/, "", s); gsub(/[_:]/, "", s)
			for (i = 1; i <= length(s); i++) {
				c = index("0123456789abcdef", substr(s, i, 1)); if (!c) return -1
				v = v * 16 + c - 1
			}
			return v
		}
		BEGIN {
			n = split(mods, m, "\n")
			for (i = 1; i <= n; i++) {
				split(m[i], f, " "); name[i] = f[1]; size[i] = f[2]
				base[i] = hex(substr(f[3], length(f[3]) - 7))
			}
		}
		{
			line = $0; note = ""; rest = $0
			# Kernel and module addresses: ffffffff:xxxxxxxx.  Only the
			# low half is compared (awk numbers are doubles).
			while (match(rest, /ffffffff[:_]?[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]/)) {
				a = hex(substr(rest, RSTART + RLENGTH - 8, 8))
				for (i = 1; i <= n; i++)
					if (a >= base[i] && a < base[i] + size[i])
						note = note sprintf(" [%s+0x%x]", name[i], a - base[i])
				rest = substr(rest, RSTART + RLENGTH)
			}
			print line note
		}' "$out/cpu-state.raw" >"$out/cpu-state.txt"
	rm -f "$out/cpu-state.raw"
}

note "$host host ($([ "$mode" = ours ] && echo kvmx || echo "distro KVM"), $kver, $cpus CPU, ${mem}M), ${#tests[@]} test(s), limit ${outer}s; output in $out"
t0=$(date +%s)
# A new session, so that the whole emulator (and timeout) can be killed.
setsid timeout -k 10 "$outer" "${emu[@]}" <"$emu_in" >"$emu_out" 2>>"$out/emulator.log" &
emu_pid=$!
tail_pid=
stop_emulator() {
	local i
	kill -TERM -- -"$emu_pid" 2>/dev/null || return 0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$emu_pid" 2>/dev/null || return 0
		sleep 0.5
	done
	kill -KILL -- -"$emu_pid" 2>/dev/null || true
}
trap 'stop_emulator; [ -z "$tail_pid" ] || kill "$tail_pid" 2>/dev/null' EXIT
trap 'exit 130' INT TERM
if [ "$verbose" = 1 ]; then
	tail -n +1 -f "$serial" >&2 &
	tail_pid=$!
fi

# Watch the serial log: stop the emulator once the host is done (Bochs
# would otherwise reboot after a panic and start over), or once it stops
# making progress: each phase has a wall-clock deadline from the moment its
# marker appeared (a test: its own limit, scaled from guest time to wall
# time, plus a grace), so a dead host costs minutes, not the outer limit.
declare -A limit_of=()
while IFS=$'\t' read -r i l _; do limit_of[$i]=$l; done <"$out/tests.list"
t_load= t_done= why= last_mark= t_mark=$t0 deadline=$((t0 + boot_budget))
while kill -0 "$emu_pid" 2>/dev/null; do
	sleep 1
	now=$(date +%s)
	mark=$(grep -a '^@@KVMX ' "$serial" | grep -av '^@@KVMX \(TAP\|KLOG\) ' | tail -n 1 | tr -d '\r' || true)
	if [ "$mark" != "$last_mark" ]; then
		last_mark=$mark t_mark=$now
		case $mark in
		'@@KVMX BEGIN '*)
			i=${mark#@@KVMX BEGIN }; i=${i%% *}
			case $i in
			''|*[!0-9]*)
				# the line is still being written: read it again
				last_mark= ;;
			*)
				deadline=$((now + ${limit_of[$i]:-$timeout} * time_factor + 60)) ;;
			esac ;;
		*) deadline=$((now + phase_budget)) ;;
		esac
	fi
	if [ -z "$t_load" ] && grep -q '^@@KVMX LOAD' "$serial"; then
		t_load=$now
	fi
	if grep -q '@@KVMX DONE' "$serial"; then
		t_done=${t_done:-$now}
		[ $((now - t_done)) -lt 10 ] || { why="done, powered off by the rig"; break; }
	elif grep -q 'Kernel panic - not syncing' "$serial"; then
		sleep 3
		why="kernel panic"
		break
	elif [ "$(grep -c '@@KVMX BOOTED' "$serial")" -gt 1 ]; then
		why="the host rebooted"
		break
	elif [ "$now" -gt "$deadline" ]; then
		why="no progress for $((now - t_mark))s after \"${mark:-power on}\": the host hung"
		dump_cpu_state
		break
	fi
done
stop_emulator
wait "$emu_pid" 2>/dev/null && emu_rc=0 || emu_rc=$?
[ -z "$tail_pid" ] || kill "$tail_pid" 2>/dev/null || true
tail_pid=
t_end=$(date +%s)
[ "$emu_rc" = 124 ] && why="killed after the ${outer}s limit"
if [ -z "$why" ]; then
	grep -q '@@KVMX DONE' "$serial" && why="powered off" || why="the emulator exited (status $emu_rc)"
fi

# ---- results -------------------------------------------------------------
label=$host
[ "$mode" = ref ] && label=$host-ref
parsed=$(awk -v tests="$out/tests.list" -v logdir="$out/logs" -f "$RIG/parse.awk" "$serial")
results=$out/results.txt
: >"$results"
npass=0 nfail=0 nskip=0
while IFS=$'\t' read -r status name detail; do
	case $status in
	PASS) npass=$((npass + 1)) ;;
	FAIL) nfail=$((nfail + 1)) ;;
	SKIP) nskip=$((nskip + 1)) ;;
	*) continue ;;
	esac
	printf '%s\t%s\t%s\t%s\n' "$status" "$label" "$name" "$detail" >>"$results"
	printf '%-4s %s %s%s\n' "$status" "$label" "$name" "${detail:+ ($detail)}"
done <<<"$parsed"

# Details of what failed.
notes=$(grep '^NOTE' <<<"$parsed" | cut -f2 || true)
[ -z "$notes" ] || echo "$notes"
klog=$(grep '^KLOG' <<<"$parsed" | cut -f2 || true)
if [ -n "$klog" ]; then
	echo "---- $label: offending kernel log lines (full log: $out/logs/dmesg.txt)"
	echo "$klog"
fi
declare -A failed=()
while IFS=$'\t' read -r status _ name _; do
	[ "$status" = FAIL ] && failed[${name%%: *}]=1
done <"$results"
while IFS=$'\t' read -r idx _ name _; do
	if [ -n "${failed[$name]:-}" ] && [ -s "$out/logs/$idx.log" ]; then
		echo "---- $label: last lines of $name (all: $out/logs/$idx.log)"
		tail -n 25 "$out/logs/$idx.log"
	fi
done <"$out/tests.list"
if [ -s "$out/cpu-state.txt" ]; then
	echo "---- $label: CPU state of the hung host (module offsets are from the module's base; $out/cpu-state.txt)"
	head -n 80 "$out/cpu-state.txt"
fi
if ! grep -q '@@KVMX DONE' "$serial"; then
	echo "---- $label: the host did not finish ($why); last lines of the serial log ($serial)"
	tail -n 40 "$serial" | tr -d '\r'
fi

boot_s=${t_load:+$((t_load - t0))}
echo "$label: $why; boot+load ${boot_s:-?}s, total $((t_end - t0))s; log: $serial"
echo "$npass passed, $nfail failed, $nskip skipped"
[ "$nfail" = 0 ]
exit
}
