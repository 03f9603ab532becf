# overdue: build, install and uninstall.
#
#   make build                      release build (.build/release/overdue)
#   sudo make install               install under PREFIX (default /usr/local)
#   sudo make uninstall             remove what install put (never the config or the database)
#   make test                       every test (scripts/test.sh)
#
# Variables: PREFIX (/usr/local), DESTDIR (staging root for packaging), SYSCONFDIR (/etc),
# UNITDIR ($(PREFIX)/lib/systemd/system), BIN (the binary to install).
#
# The unit goes to $(PREFIX)/lib/systemd/system: systemd reads /usr/local/lib/systemd/system
# for locally installed software and /usr/lib/systemd/system (= /lib/systemd/system on
# merged-/usr Debian) for PREFIX=/usr, and both leave /etc/systemd/system to the admin.
# Its ExecStart is rewritten to $(PREFIX)/bin/overdue and its config paths to $(SYSCONFDIR).
#
# The example config and templates are copied to $(SYSCONFDIR)/overdue only where no file of
# that name exists yet: reinstalling or upgrading never overwrites an edited config or template.

PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
UNITDIR ?= $(PREFIX)/lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
CONFDIR = $(SYSCONFDIR)/overdue

BIN ?= .build/release/overdue
SOURCES := Package.swift $(shell find Sources -type f 2>/dev/null)

INSTALL ?= install

.PHONY: all build install uninstall test

all: build

build:
	swift build -c release --product overdue

# Built only when missing or older than the sources, so `make build && sudo make install`
# does not compile again as root.
.build/release/overdue: $(SOURCES)
	swift build -c release --product overdue

install: $(BIN)
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(MANDIR)/man1" \
		"$(DESTDIR)$(BASHCOMPDIR)" "$(DESTDIR)$(ZSHCOMPDIR)" "$(DESTDIR)$(FISHCOMPDIR)" \
		"$(DESTDIR)$(CONFDIR)/templates"
	$(INSTALL) -m 0755 "$(BIN)" "$(DESTDIR)$(BINDIR)/overdue"
	sed -e 's|/usr/local/bin/overdue|$(BINDIR)/overdue|g' -e 's|/etc/overdue/|$(CONFDIR)/|g' \
		systemd/overdue.service > "$(DESTDIR)$(UNITDIR)/overdue.service"
	chmod 0644 "$(DESTDIR)$(UNITDIR)/overdue.service"
	$(INSTALL) -m 0644 man/overdue.1 "$(DESTDIR)$(MANDIR)/man1/overdue.1"
	"$(BIN)" --generate-completion-script bash > "$(DESTDIR)$(BASHCOMPDIR)/overdue"
	"$(BIN)" --generate-completion-script zsh > "$(DESTDIR)$(ZSHCOMPDIR)/_overdue"
	"$(BIN)" --generate-completion-script fish > "$(DESTDIR)$(FISHCOMPDIR)/overdue.fish"
	chmod 0644 "$(DESTDIR)$(BASHCOMPDIR)/overdue" "$(DESTDIR)$(ZSHCOMPDIR)/_overdue" \
		"$(DESTDIR)$(FISHCOMPDIR)/overdue.fish"
	@for file in overdue.toml $$(cd config && ls templates/*.txt templates/*.html); do \
		target="$(DESTDIR)$(CONFDIR)/$$file"; \
		if [ -e "$$target" ]; then \
			echo "kept $$target (already present; the shipped version is config/$$file)"; \
		else \
			$(INSTALL) -m 0644 "config/$$file" "$$target" && echo "installed $$target"; \
		fi; \
	done
	@echo
	@echo "Next: put the SMTP password in $(CONFDIR)/smtp-password (chmod 0600), edit"
	@echo "$(CONFDIR)/overdue.toml, run 'overdue config check', then:"
	@echo "    systemctl daemon-reload && systemctl enable --now overdue"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/overdue" "$(DESTDIR)$(UNITDIR)/overdue.service" \
		"$(DESTDIR)$(MANDIR)/man1/overdue.1" "$(DESTDIR)$(BASHCOMPDIR)/overdue" \
		"$(DESTDIR)$(ZSHCOMPDIR)/_overdue" "$(DESTDIR)$(FISHCOMPDIR)/overdue.fish"
	@echo "Left in place: $(CONFDIR) (your config and templates) and /var/lib/overdue (the database)."

test:
	scripts/test.sh
