# Shared by the interop stop scripts (sourced): stop_pidfile LABEL PIDFILE stops the process
# whose pid the file holds (TERM, then KILL after 5 s) and removes the file.
# shellcheck shell=bash
stop_pidfile() {
	local label="$1" pidfile="$2" pid
	[[ -f $pidfile ]] || { echo "$label: not running (no $pidfile)"; return 0; }
	pid="$(cat "$pidfile")"
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
	fi
	rm -f "$pidfile"
	echo "$label stopped (pid $pid)"
}
