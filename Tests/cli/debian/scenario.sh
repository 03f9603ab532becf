#!/bin/bash
# Runs inside a booted Debian 12 container (test_debian_package.py): installs the package and
# uses it as an admin following the README would. Each step's output and exit code land in
# /root/results/STEP.out and STEP.rc for the test on the host to check; the container powers
# off when this ends (the unit running it has SuccessAction/FailureAction=poweroff).
set -u
results=/root/results
mkdir -p "$results"
exec >"$results/scenario.log" 2>&1
date +%s.%N >"$results/started"
exec 9>"$results/trace.log"
BASH_XTRACEFD=9
set -x

step() { local name=$1; shift; "$@" >"$results/$name.out" 2>&1; echo $? >"$results/$name.rc"; }
modes() { stat -c '%n %U %G %a' "$@"; }
cd /root

# An SMTP server inside the container: Postfix's smtp-sink, each message appended to one file.
mkdir -p /var/tmp/sink && chown nobody /var/tmp/sink
smtp-sink -a -u nobody -D /var/tmp/sink/mail 127.0.0.1:2525 10 &

# Installation: enabled, but not started before it is configured.
step install apt-get install -y --no-install-recommends ./overdue.deb
step is_enabled systemctl is-enabled overdue
step is_active_unconfigured systemctl is-active overdue
step condition systemctl show -p ConditionResult --value overdue
step state_folder modes /var/lib/overdue
step version overdue --version
step ldd ldd /usr/bin/overdue

# The README's configuration steps (the edit made with sed instead of sudoedit): a relay on
# this machine, no send window (the test runs at any hour).
sed -i -e 's|^url = "smtp://smtp.example.com:587"|url = "smtp://127.0.0.1:2525"|' \
    -e 's|^starttls = "required"|starttls = "none"|' \
    -e '/^\[send_window\]/,/^\[business\]/{/^\[business\]/!d}' /etc/overdue/overdue.toml
printf '%s' 'the-smtp-password' | install -m 600 /dev/stdin /etc/overdue/smtp-password
step config_check overdue config check
# The owner's commands from a root shell before the first start: the ledger is created owned
# by the service's account, 0600.
step import overdue import /root/invoices.csv
step ledger_after_import modes /var/lib/overdue/overdue.sqlite

# Start: Type=notify, so `systemctl start` returns once READY=1 arrived.
step start systemctl start overdue
step is_active systemctl is-active overdue
step show systemctl show -p Type,ActiveState,SubState,StatusText,MainPID,User overdue
for _ in $(seq 1 60); do grep -q '^Subject:' /var/tmp/sink/mail 2>/dev/null && break; sleep 0.5; done
sleep 1
cp /var/tmp/sink/mail "$results/sink.mail" 2>/dev/null
step status overdue status
step ledger_running modes /var/lib/overdue /var/lib/overdue/overdue.sqlite /var/lib/overdue/overdue.sqlite-wal /var/lib/overdue/overdue.sqlite-shm
# A payment recorded from the root shell while the service runs keeps every file the service's.
step pay overdue invoice pay INV-1 100.00
step pay_negative overdue invoice pay INV-2 -5
step ledger_after_pay modes /var/lib/overdue/overdue.sqlite /var/lib/overdue/overdue.sqlite-wal /var/lib/overdue/overdue.sqlite-shm

# Reload: a good config is re-read; a broken one is refused (and the daemon keeps running).
step reload systemctl reload overdue
sleep 1
cp /etc/overdue/overdue.toml /root/overdue.toml.good
echo 'interval = ' >>/etc/overdue/overdue.toml
step reload_broken systemctl reload overdue
step is_active_after_broken systemctl is-active overdue
# The daemon's own refusal, for a signal that bypasses the check (and an error-priority line).
systemctl kill -s HUP --kill-who=main overdue
sleep 1
cp /root/overdue.toml.good /etc/overdue/overdue.toml
step is_active_after_hup systemctl is-active overdue

step security systemd-analyze security --no-pager overdue
step stop systemctl stop overdue
step show_stopped systemctl show -p ActiveState,Result,ExecMainStatus overdue
journalctl -u overdue -o json --no-pager >"$results/journal.json"
journalctl -u overdue --no-pager >"$results/journal.txt"

# Remove keeps the config and the ledger; purge removes the config and says where the ledger is.
step remove apt-get remove -y overdue
step after_remove ls /etc/overdue/overdue.toml /etc/overdue/smtp-password /var/lib/overdue/overdue.sqlite
step purge apt-get purge -y overdue
step after_purge_config ls -d /etc/overdue
step after_purge_ledger ls /var/lib/overdue/overdue.sqlite
date +%s.%N >"$results/finished"
