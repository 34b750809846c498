# shellcheck shell=bash disable=SC2034 # v_args, v_inputs: results for the caller
# The virtio cases of the nested tiers (sourced by tests/nested/run.sh and
# tests/arm64/run.sh after lib.sh): disks, read-only disks, discard, the
# RNG, the virtio console, a root file system on a disk, a disk SeaBIOS
# boots.  See tests/nested/README.md, "Virtio cases".
#
# A case names the disks it wants in its VMM arguments by placeholders:
# @KIND@ or @KIND.N@ (KIND = disk, rootfs, boot: the images prepare.sh
# built in $IMAGES) becomes /disk/RUN-KIND[.N].img, a copy of its own for
# every L2 boot.  All copies go into one ext4 image, L1's disk (run-l1.sh
# --disk), so they sit on a real file system in L1 (cache=none works) and
# are on the host after the L1 run, where debugfs reads what L2 wrote.
#
# Expectation words (all also need the marker unless noted):
#   disk          every writable ext4 disk: /hello.txt read, a token written
#                 and read back in L2; on the host each image's /from-l2.txt
#                 is one of the tokens L2 reported
#   serials=A,B   the disks' /sys/block/vd*/serial are A, B (any order)
#   ro            a disk with ro=1 refused a raw write and a file write (the
#                 error texts are reported), /hello.txt read; on the host
#                 the image is byte for byte what it was
#   discard       l2.mode=discard: 32 MiB written and deleted, fstrim; the
#                 image's allocated blocks in L1 (stat %b) grew by the 32 MiB
#                 and shrank by them again; the host's view agrees
#   rng           /dev/hwrng is virtio_rng, 64 bytes read, >= 16 distinct
#   hvc           l2.mode=hvc: a command typed on the VMM's console runs on
#                 /dev/hvc0 and answers there
#   rootfs        l2.mode=rootfs: the marker comes from the disk's /init,
#                 / is root= (/dev/vda) ext4 rw; the host finds L2's token
#                 in the image
#   intx          the virtio interrupts are IO-APIC lines (/proc/interrupts),
#                 none an MSI: a guest without MSI (append=pci=nomsi)
#   diskboot      no -kernel/-initrd/-append: the firmware boots the disk
#                 (boot.img: SYSLINUX loads the kernel and the initramfs)

VIRTIO_DISCARD_MIB=32

# virtio_mode WORD...: the l2.mode the words need ("" when none of them).
virtio_mode() {
	local m='' e
	for e in "$@"; do
		case $e in
		disk | serials=* | ro | rng | intx) m=${m:-virtio} ;;
		discard) m=discard ;;
		hvc) m=hvc ;;
		rootfs) m=rootfs ;;
		esac
	done
	echo "$m"
}

# virtio_end_pattern MODE: the line after which the guest ends by itself.
virtio_end_pattern() {
	case $1 in
	virtio) echo L2-VIRTIO-END ;;
	discard) echo L2-DISCARD-DONE ;;
	fio) echo L2-FIO-END ;;
	*) echo L2-REPORT-END ;;
	esac
}

# The line typed on the virtio console and the answer expected.
VIRTIO_HVC_TYPED='echo L2-TYPED-$((6*7)) on $(readlink /proc/self/fd/0)'
VIRTIO_HVC_ANSWER='L2-TYPED-42 on /dev/hvc0'

# --- which devices a case needs, and whether minivmm has them ---------------------

# virtio_devices ARGS BLK: the device names ARGS asks for, one a line:
# each -device NAME, and BLK for a -drive with if=virtio.
virtio_devices() {
	local prev='' w
	for w in $1; do
		case $prev in
		-device) echo "${w%%,*}" ;;
		-drive) case ,$w, in *,if=virtio,*) echo "$2" ;; esac ;;
		esac
		prev=$w
	done | sort -u
}

# virtio_lacks HELP ARGS BLK: why minivmm cannot run ARGS yet, from HELP
# (the output of `minivmm run -device help`), or nothing.
virtio_lacks() {
	local help=$1 d missing=()
	for d in $(virtio_devices "$2" "$3"); do
		grep -q -w -e "$d" <<<"$help" || missing+=("$d")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local said
	said=$(grep -m 1 . <<<"$help")
	echo "minivmm has no ${missing[*]} yet (run -device help: ${said:-nothing})"
}

# --- the disk images ------------------------------------------------------------------

# virtio_stage_init DIR: the directory L1's disk is made from.
virtio_stage_init() {
	VIRTIO_STAGE=$1
	mkdir -p "$VIRTIO_STAGE" || return 1
	declare -g -A virtio_images=()
}

# virtio_expand RUN ARGS: sets v_args to ARGS with each @NAME@ replaced by
# /disk/RUN-NAME.img, and copies the image of each NAME's kind into the
# stage (sparse, as prepare.sh made it).  virtio_images[RUN] lists
# "NAME:KIND:ro|rw" per disk; returns 1 when an image is missing.
virtio_expand() {
	local run=$1 w name kind mode words=() list=''
	for w in $2; do
		while [[ $w =~ @([a-z0-9]+)(\.[0-9]+)?@ ]]; do
			name=${BASH_REMATCH[1]}${BASH_REMATCH[2]} kind=${BASH_REMATCH[1]}
			mode=rw
			case ,$w, in *,readonly=on,*) mode=ro ;; esac
			[ -f "$IMAGES/$kind.img" ] || { echo "no image $IMAGES/$kind.img" >&2; return 1; }
			cp --sparse=always "$IMAGES/$kind.img" "$VIRTIO_STAGE/$run-$name.img" || return 1
			list+="$name:$kind:$mode "
			w=${w/"@$name@"//disk/$run-$name.img}
		done
		words+=("$w")
	done
	v_args=${words[*]}
	virtio_images[$run]=$list
}

# virtio_l1_disk OUT: L1's disk, an ext4 image of the stage with room for
# what the L2 guests write (sparse on the host).
virtio_l1_disk() {
	local mib
	mib=$(du -s -m --apparent-size "$VIRTIO_STAGE" | cut -f1)
	ext4_image "$1" $((mib + mib / 4 + 256)) "$VIRTIO_STAGE" l1disk
}

# virtio_payload_before RUN / virtio_payload_after RUN: payload lines
# around a discard run's l2-run (allocated 512-byte blocks of its image).
virtio_blocks_line() { # RUN WHEN
	printf 'echo "NESTED: L1-BLOCKS %s %s=$(stat -c %%b /disk/%s-disk.img)"\n' "$1" "$2" "$1"
}

# virtio_inputs MODE RUN GRACE: sets v_inputs, the l2-run options for MODE.
virtio_inputs() {
	local mode=$1 run=$2 grace=$3
	case $mode in
	hvc)
		v_inputs=(-i L2-HVC-READY "$VIRTIO_HVC_TYPED" -i "$VIRTIO_HVC_ANSWER" 'poweroff -f'
			-s "$VIRTIO_HVC_ANSWER" "$grace")
		;;
	discard)
		v_inputs=(-x L2-DISCARD-WRITTEN "echo \"L1-BLOCKS $run written=\$(stat -c %b /disk/$run-disk.img)\""
			-i L2-DISCARD-WRITTEN go -s L2-DISCARD-DONE "$grace")
		;;
	*) v_inputs=(-s "$(virtio_end_pattern "$mode")" "$grace") ;;
	esac
}

# --- checks after the L1 run ----------------------------------------------------------

# virtio_host_image L1DISK RUN NAME OUT: the image as L2 left it, from L1's disk.
virtio_host_image() {
	rm -f "$4"
	debugfs -R "dump /$2-$3.img $4" "$1" >/dev/null 2>&1 && [ -s "$4" ]
}

virtio_host_blocks() { # L1DISK RUN NAME: allocated 512-byte blocks on the host's side
	debugfs -R "stat /$2-$3.img" "$1" 2>/dev/null | sed -n 's/.*Blockcount: \([0-9]*\).*/\1/p' | head -n 1
}

# virtio_check WORD CONSOLE RUN L1OUT L1DISK TMP: why WORD does not hold
# for RUN (nothing when it does).  CONSOLE: the guest's console lines;
# L1OUT: run-l1.sh's output (the L1-BLOCKS lines); TMP: a scratch prefix.
virtio_check() {
	local word=$1 out=$2 run=$3 l1out=$4 l1disk=$5 tmp=$6 v=${1#*=} got e name kind mode tok
	case $word in
	disk)
		grep -q "^L2-DISK: vd[a-z]* content=$VIRTIO_HELLO\$" "$out" ||
			{ echo "no disk showed /hello.txt ($(grep -m 1 '^L2-DISK:' "$out" || echo no L2-DISK line))"; return; }
		for e in ${virtio_images[$run]}; do
			IFS=: read -r name kind mode <<<"$e"
			[ "$kind" = disk ] && [ "$mode" = rw ] || continue
			virtio_host_image "$l1disk" "$run" "$name" "$tmp.img" ||
				{ echo "cannot read $run-$name.img back from L1's disk"; return; }
			tok=$(debugfs -R "cat /from-l2.txt" "$tmp.img" 2>/dev/null | head -n 1)
			[ -n "$tok" ] || { echo "no /from-l2.txt in $name on the host"; return; }
			grep -q -x -F "L2-DISK: ${tok%%-*} wrote=$tok" "$out" ||
				{ echo "$name on the host has /from-l2.txt '$tok', not a token L2 wrote"; return; }
			grep -q -x -F "L2-DISK: ${tok%%-*} readback=$tok" "$out" ||
				{ echo "L2 did not read its token back from ${tok%%-*} after a remount"; return; }
		done
		;;
	serials=*)
		got=$(sed -n 's/^L2-BLK: [^ ]* serial=\([^ ]*\) .*/\1/p' "$out" | grep -v '^-$' | sort | paste -sd,)
		[ "$got" = "$(tr , '\n' <<<"$v" | sort | paste -sd,)" ] ||
			echo "serials '${got:-none}', expected $v"
		;;
	ro)
		got=$(sed -n 's/^L2-BLK: \([^ ]*\) .* ro=1 .*/\1/p' "$out" | head -n 1)
		[ -n "$got" ] || { echo "no disk with ro=1 in /sys/block"; return; }
		e=$(sed -n "s/^L2-RO: $got dev-write=//p" "$out")
		[ -n "$e" ] && [ "$e" != succeeded ] || { echo "a raw write to read-only $got: ${e:-not tried}"; return; }
		e=$(sed -n "s/^L2-RO: $got fs-write=//p" "$out")
		[ -n "$e" ] && [ "$e" != succeeded ] || { echo "a file write on read-only $got: ${e:-not tried}"; return; }
		grep -q "^L2-DISK: $got content=$VIRTIO_HELLO\$" "$out" || { echo "/hello.txt not read from $got"; return; }
		for e in ${virtio_images[$run]}; do
			IFS=: read -r name kind mode <<<"$e"
			[ "$mode" = ro ] || continue
			virtio_host_image "$l1disk" "$run" "$name" "$tmp.img" ||
				{ echo "cannot read $run-$name.img back from L1's disk"; return; }
			cmp -s "$tmp.img" "$IMAGES/$kind.img" || { echo "read-only $name changed on the host"; return; }
		done
		;;
	discard)
		local before written after host need=$((VIRTIO_DISCARD_MIB * 2048 * 9 / 10))
		grep -q "^L2-DISCARD-WRITTEN $VIRTIO_DISCARD_MIB\$" "$out" ||
			{ echo "L2 did not write its $VIRTIO_DISCARD_MIB MiB ($(grep -m 1 '^L2-DISCARD' "$out" || echo nothing))"; return; }
		grep -q '^L2-DISCARD-DONE$' "$out" || { echo "fstrim did not finish: $(grep -m 1 '^L2-FSTRIM' "$out")"; return; }
		before=$(sed -n "s/^L1-BLOCKS $run before=//p" "$l1out")
		written=$(sed -n "s/^L1-BLOCKS $run written=//p" "$out")
		after=$(sed -n "s/^L1-BLOCKS $run after=//p" "$l1out")
		host=$(virtio_host_blocks "$l1disk" "$run" disk)
		[ -n "$before" ] && [ -n "$written" ] && [ -n "$after" ] && [ -n "$host" ] ||
			{ echo "missing block counts: before=$before written=$written after=$after host=$host"; return; }
		[ $((written - before)) -ge "$need" ] ||
			{ echo "the image grew by $(((written - before) / 2)) KiB for $VIRTIO_DISCARD_MIB MiB written"; return; }
		[ $((written - after)) -ge "$need" ] && [ $((written - host)) -ge "$need" ] ||
			echo "blocks (512 B) before=$before written=$written after=$after host=$host: the discard freed too little ($(grep -m 1 '^L2-FSTRIM' "$out"))"
		;;
	rng)
		got=$(grep -m 1 '^L2-RNG:' "$out")
		[[ $got == "L2-RNG: current=virtio_rng"*" bytes=64 distinct="* ]] && [ "${got##*distinct=}" -ge 16 ] ||
			echo "${got:-no /dev/hwrng}"
		;;
	hvc)
		# (after the prompt; the echoed input has $((6*7)), not 42)
		grep -q -F "$VIRTIO_HVC_ANSWER" "$out" ||
			echo "the command typed on the virtio console did not answer there ($(grep -m 1 '^L2-HVC' "$out" || tail -n 1 "$out"))"
		;;
	rootfs)
		grep -q '^L2-ROOTFS: dev=/dev/vda type=ext4 rw=rw$' "$out" ||
			{ echo "$(grep -m 1 -e '^L2-ROOTFS' "$out" || echo 'no L2-ROOTFS line: the disk'"'"'s /init did not run')"; return; }
		virtio_host_image "$l1disk" "$run" rootfs "$tmp.img" || { echo "cannot read $run-rootfs.img back"; return; }
		tok=$(debugfs -R "cat /from-l2.txt" "$tmp.img" 2>/dev/null | head -n 1)
		grep -q -x -F "L2-DISK: root wrote=${tok:-none}" "$out" ||
			echo "the root image on the host has /from-l2.txt '${tok:-none}', not L2's token"
		;;
	intx)
		# Every virtio interrupt on the IO-APIC (a level line), none an MSI.
		grep -q '^L2-IRQ: .*IO-APIC.*virtio' "$out" ||
			{ echo "no virtio interrupt on the IO-APIC ($(grep -m 1 '^L2-IRQ:' "$out" || echo no L2-IRQ line))"; return; }
		! grep -q '^L2-IRQ: .*MSI' "$out" || echo "a virtio interrupt is an MSI: $(grep -m 1 '^L2-IRQ: .*MSI' "$out")"
		;;
	diskboot) ;;
	*) echo "unknown expectation '$word'" ;;
	esac
	rm -f "$tmp.img"
}

# virtio_detail WORD CONSOLE RUN L1OUT L1DISK: a few words for the PASS line.
virtio_detail() {
	local out=$2 run=$3
	case $1 in
	disk) echo "$(grep -c '^L2-DISK: vd[a-z]* wrote=' "$out") disk(s) written, read back in L2 and on the host" ;;
	serials=*) echo "serials ${1#serials=}" ;;
	ro) sed -n 's/^L2-RO: \([^ ]*\) dev-write=\(.*\)/ro \1: "\2"/p' "$out" | head -n 1 ;;
	discard)
		echo "blocks $(sed -n "s/^L1-BLOCKS $run before=//p" "$4") -> $(sed -n "s/^L1-BLOCKS $run written=//p" "$out") -> $(sed -n "s/^L1-BLOCKS $run after=//p" "$4") (host $(virtio_host_blocks "$5" "$run" disk))"
		;;
	rng) grep -m 1 '^L2-RNG:' "$out" | cut -c9- ;;
	intx) grep -m 1 '^L2-IRQ: .*virtio' "$out" | cut -c9- ;;
	rootfs) grep -m 1 '^L2-ROOTFS:' "$out" | cut -c12- ;;
	hvc) echo "typed and answered on /dev/hvc0" ;;
	esac
}
